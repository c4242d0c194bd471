"""The running gateway: composed from one Settings (compose.py), served by uvicorn (serve.py)."""
