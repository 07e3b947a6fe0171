"""Security headers on every response: what a browser may load, frame or guess."""


def init_app(app) -> None:
    """Add CSP, frame denial, no MIME sniffing and a strict referrer policy to every response."""

    @app.after_request
    def security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", app.config["CONTENT_SECURITY_POLICY"])
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        if app.config.get("SESSION_COOKIE_SECURE"):
            # Served over HTTPS only: browsers should not try plain HTTP for a year (seconds).
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response
