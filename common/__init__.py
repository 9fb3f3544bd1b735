"""What every layer may use: settings and small shared helpers; imports nothing of the project's own."""
