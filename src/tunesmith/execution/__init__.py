"""Where objectives run: the calling thread, local threads or processes (Ray comes as an extra)."""
