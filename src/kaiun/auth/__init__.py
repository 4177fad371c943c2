"""The auth room (L3): local accounts, passwords, login throttling, JWT sessions and API
tokens, project-role tokens, and RBAC (casbin with Argo CD's model).

Owns: ``rbac`` (``Enforcer``), ``sessions`` (``SessionManager``, ``Principal``),
``throttle`` (``LoginThrottle``), ``login`` (``authenticate``), ``passwords`` (bcrypt),
``store`` (``AccountStore``: argocd-cm/argocd-secret through ``kaiun.kube``). Pure parsing
lives in ``kaiun.settings.accounts``, ``kaiun.settings.rbac`` and
``kaiun.settings.login_throttle``. May import ``kaiun.kube``, ``kaiun.settings`` and the
rooms below; never ``kaiun.localcluster``, ``kaiun.repo`` or any room above L3.

How the API server uses it::

    store = AccountStore(kube, "argocd")
    await store.initialize()                       # secret key + initial admin password
    throttle = LoginThrottle(settings.login_throttle.parse_login_throttle(os.environ))
    token = await store.login(user, password, throttle=throttle, expires_in=86400)
    sessions = await store.session_manager()
    principal = sessions.verify(token, accounts=await store.accounts(), projects=lookup)
    enforcer = Enforcer.from_configmap(rbac_cm_data, projects=lookup)
    enforcer.enforce(principal.claims, "applications", "get", "default/guestbook")

``lookup(name)`` returns an AppProject as a plain dict, or None. Errors are ``AuthError``
subclasses (``kaiun.auth.errors``); ``InvalidLogin`` and ``InvalidToken`` map to 401.
"""

from kaiun.auth.errors import (
    AccountError,
    AuthError,
    InvalidLogin,
    InvalidToken,
    LoginThrottled,
    RBACError,
)
from kaiun.auth.login import authenticate
from kaiun.auth.passwords import generate_password, hash_password, verify_password
from kaiun.auth.rbac import Enforcer, ProjectLookup, subject_of
from kaiun.auth.sessions import ISSUER, Principal, SessionManager, generate_secret_key
from kaiun.auth.store import ARGOCD_CM, ARGOCD_SECRET, INITIAL_ADMIN_SECRET, AccountStore
from kaiun.auth.throttle import FailureStore, LoginThrottle, MemoryFailureStore, user_key

__all__ = [
    "ARGOCD_CM",
    "ARGOCD_SECRET",
    "INITIAL_ADMIN_SECRET",
    "ISSUER",
    "AccountError",
    "AccountStore",
    "AuthError",
    "Enforcer",
    "FailureStore",
    "InvalidLogin",
    "InvalidToken",
    "LoginThrottle",
    "LoginThrottled",
    "MemoryFailureStore",
    "Principal",
    "ProjectLookup",
    "RBACError",
    "SessionManager",
    "authenticate",
    "generate_password",
    "generate_secret_key",
    "hash_password",
    "subject_of",
    "user_key",
    "verify_password",
]
