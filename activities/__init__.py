"""The only code with side effects: one module per channel, each behind a provider interface."""
