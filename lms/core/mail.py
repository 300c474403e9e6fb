"""Sending email: SMTP when ``LMS_SMTP_HOST`` is set, the log otherwise.

Configuration (``app.config``, read from ``LMS_SMTP_*``): ``SMTP_HOST``,
``SMTP_PORT`` (587: STARTTLS; 465: implicit TLS), ``SMTP_USER``,
``SMTP_PASSWORD``, ``SMTP_FROM``. :func:`send_mail` returns how the message
went out (a :class:`~lms.core.notifications.Delivery`): ``"email"`` when the SMTP server accepted it, ``"log"`` when it was
written to the ``lms.mail`` log instead (no SMTP configured, or the server
refused it: the failure is logged too, nothing is raised).
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app

from .notifications import Delivery

log = logging.getLogger("lms.mail")

SMTP_TIMEOUT = 30


def build_message(to: str, subject: str, body: str) -> EmailMessage:
    sender = current_app.config.get("SMTP_FROM") or "lms@localhost"
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    msg.set_content(body)
    return msg


def send_mail(to: str, subject: str, body: str) -> Delivery:
    """Send one plain-text message; ``Delivery.EMAIL`` when sent, ``Delivery.LOG`` when written to the log instead."""
    config = current_app.config
    host = config.get("SMTP_HOST")
    if not host:
        log.info("Email not sent (SMTP not configured) to %s\nSubject: %s\n\n%s", to, subject, body)
        return Delivery.LOG
    port = int(config.get("SMTP_PORT") or 25)
    user, password = config.get("SMTP_USER"), config.get("SMTP_PASSWORD")
    msg = build_message(to, subject, body)
    try:
        if port == 465:
            smtp = smtplib.SMTP_SSL(host, port, timeout=SMTP_TIMEOUT, context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT)
        with smtp:
            if port == 587:
                smtp.starttls(context=ssl.create_default_context())
            if user:
                smtp.login(user, password or "")
            smtp.send_message(msg)
    except (smtplib.SMTPException, OSError) as exc:
        log.error("Email to %s failed (%s: %s); message follows\nSubject: %s\n\n%s", to, type(exc).__name__, exc, subject, body)
        return Delivery.LOG
    log.info("Email sent to %s: %s", to, subject)
    return Delivery.EMAIL
