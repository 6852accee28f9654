"""bitsota validator package."""
