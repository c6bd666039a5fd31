"""A password hasher on SM3 (国密), for deployments under the commercial-cryptography
assessment (密评, GB/T 39786-2021): PBKDF2 with HMAC-SM3 (core.sm3, on gmssl) and a random
salt, stored as ``pbkdf2_sm3$<iterations>$<salt>$<base64 hash>`` like Django's own PBKDF2.

``SANPI_PASSWORD_HASHER=sm3`` puts it first in ``PASSWORD_HASHERS`` (settings): new and
changed passwords use it, and a password stored by Django's default hasher is re-hashed
with it at its owner's next sign-in (Django does that for any hasher that is not the
first). Without the setting it stays in the list after Django's, so switching back
re-hashes the other way. The iterations come from ``SANPI_PASSWORD_SM3_ITERATIONS``; a
hash made with another count is re-hashed at sign-in too.
"""

from __future__ import annotations

import base64

from django.conf import settings
from django.contrib.auth.hashers import BasePasswordHasher, mask_hash, must_update_salt
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext_noop as _

from sanpi.core import sm3


class PBKDF2SM3PasswordHasher(BasePasswordHasher):
    algorithm = "pbkdf2_sm3"

    @property
    def iterations(self) -> int:
        return settings.SANPI_PASSWORD_SM3_ITERATIONS

    def encode(self, password, salt, iterations=None):
        self._check_encode_args(password, salt)
        iterations = iterations or self.iterations
        derived = sm3.pbkdf2(password.encode(), salt.encode(), iterations)
        encoded = base64.b64encode(derived).decode("ascii").strip()
        return f"{self.algorithm}${iterations}${salt}${encoded}"

    def decode(self, encoded):
        algorithm, iterations, salt, hash = encoded.split("$", 3)
        assert algorithm == self.algorithm
        return {"algorithm": algorithm, "hash": hash, "iterations": int(iterations), "salt": salt}

    def verify(self, password, encoded):
        decoded = self.decode(encoded)
        again = self.encode(password, decoded["salt"], decoded["iterations"])
        return constant_time_compare(encoded, again)

    def safe_summary(self, encoded):
        decoded = self.decode(encoded)
        return {
            _("algorithm"): decoded["algorithm"],
            _("iterations"): decoded["iterations"],
            _("salt"): mask_hash(decoded["salt"]),
            _("hash"): mask_hash(decoded["hash"]),
        }

    def must_update(self, encoded):
        decoded = self.decode(encoded)
        update_salt = must_update_salt(decoded["salt"], self.salt_entropy)
        return decoded["iterations"] != self.iterations or update_salt

    def harden_runtime(self, password, encoded):
        """A hash with fewer iterations than configured takes as long to check (Django)."""
        decoded = self.decode(encoded)
        extra = self.iterations - decoded["iterations"]
        if extra > 0:
            self.encode(password, decoded["salt"], extra)
