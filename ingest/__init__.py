"""Documents → passages → index. Never formats answers; never imports `assistant`."""
