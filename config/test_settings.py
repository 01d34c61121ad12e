"""Settings for the test suite: the production settings with a throwaway data dir and fast hashing."""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "test-" + "x9F!k2" * 10)
os.environ["SHUANGSUIJI_DATA_DIR"] = tempfile.mkdtemp(prefix="ssj-test-")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")

from config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
