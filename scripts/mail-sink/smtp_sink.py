"""A real SMTP server for the tests: aiosmtpd on loopback, requiring
AUTH (PLAIN/LOGIN) with the given user and password, writing every
accepted message to DIR as NNNN.eml. Prints the port it listens on, then
serves until stdin closes (the test process ending closes it)."""

import argparse
import email
import email.policy
import os
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Saver:
    def __init__(self, directory):
        self.directory = directory
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        path = os.path.join(self.directory, "%04d.eml" % self.count)
        tmp = path + ".tmp"
        with open(tmp, "wb") as f:
            f.write(("X-Envelope-To: %s\r\n" % ",".join(envelope.rcpt_tos)).encode())
            f.write(envelope.original_content or envelope.content)
        os.replace(tmp, path)
        # The same message decoded (headers and body as text), which the
        # tests read: Chinese text travels base64 or quoted-printable.
        msg = email.message_from_bytes(
            envelope.original_content or envelope.content, policy=email.policy.default
        )
        text = "Envelope-To: %s\nFrom: %s\nTo: %s\nSubject: %s\nMessage-ID: %s\n\n%s" % (
            ",".join(envelope.rcpt_tos),
            msg["From"],
            msg["To"],
            msg["Subject"],
            msg["Message-ID"],
            msg.get_content(),
        )
        with open(path[:-4] + ".tmp2", "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(path[:-4] + ".tmp2", path[:-4] + ".txt")
        return "250 Message accepted for delivery"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--user", required=True)
    p.add_argument("--password", required=True)
    a = p.parse_args()

    def check(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == a.user
            and auth_data.password.decode() == a.password
        )
        return AuthResult(success=ok, handled=False)

    # Port 0 is not supported by Controller; find a free one first.
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    c = Controller(
        Saver(a.dir),
        hostname="127.0.0.1",
        port=port,
        authenticator=check,
        auth_required=True,
        auth_require_tls=False,
    )
    c.start()
    print(port, flush=True)
    try:
        sys.stdin.read()
    finally:
        c.stop()


if __name__ == "__main__":
    main()
