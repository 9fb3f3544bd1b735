"""The embeddable web chat: one script for the prefecture's pages, and a demo page that embeds it."""
