"""Call-center console: staff type what the caller says and see the right desks at once."""
