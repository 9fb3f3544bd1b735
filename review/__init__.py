"""Review log support: what users typed, made safe to store for staff to review misses."""
