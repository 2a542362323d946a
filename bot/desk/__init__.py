"""The service desk: staff web app (``python -m bot desk``) and its links to customers."""
