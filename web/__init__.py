"""A read-only web view of sister-city cases, indicators, procedures and the audit log.

``sistercity serve`` builds it with :func:`create_app` and runs it with uvicorn; it needs the
``web`` extra (``pip install 'sistercity[web]'``). Nothing here writes, except the audit event
that every export of the log is.
"""

from __future__ import annotations

from web.app import WebConfig, create_app

__all__ = ["WebConfig", "create_app", "run"]


def run(config: WebConfig, host: str, port: int) -> None:
    """Serve *config* on *host*:*port* until interrupted."""
    import uvicorn

    uvicorn.run(
        create_app(config),
        host=host,
        port=port,
        # The TCP peer decides who is served; never a client-supplied X-Forwarded-For.
        proxy_headers=False,
        server_header=False,
        log_level="info",
    )
