"""Who is using the dashboard: an OIDC login (st.login) where one is configured, else a local account from the
secrets file. Everyone else is a viewer. A session expires after KPI_SESSION_MINUTES (default 60) idle.

This only decides who the user is; what they may do is checked in metrics.actions, where the action runs.
"""

from __future__ import annotations

import os
import time

import streamlit as st

from metrics.platform.auth import ANONYMOUS, User, role_name, sign_in

from . import state, ui

IDLE_LIMIT_S = int(os.environ.get("KPI_SESSION_MINUTES", "60")) * 60


def oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def current_user() -> User:
    if oidc_configured() and getattr(st.user, "is_logged_in", False):
        email = st.user.get("email") or st.user.get("sub") or "oidc-user"
        with state.reading() as con:
            from metrics.actions import assigned_role

            role = assigned_role(con, email) or "viewer"
        return User(email, st.user.get("name") or email, role, "oidc")
    user = st.session_state.get("user")
    if user is None:
        return ANONYMOUS
    if time.time() - st.session_state.get("user_seen", 0) > IDLE_LIMIT_S:
        st.session_state.pop("user", None)
        st.session_state["session_expired"] = True
        return ANONYMOUS
    st.session_state["user_seen"] = time.time()
    return user


def _sign_in() -> None:
    # Backoff per account and per client address (metrics.platform.auth.LoginThrottle), logged when it starts.
    user, wait = sign_in(st.session_state.get("login_name", ""), st.session_state.get("login_password", ""),
                         getattr(st.context, "ip_address", None))
    if user is None:
        st.session_state["login_failed"] = True
        st.session_state["login_wait"] = wait
        return
    st.session_state.update(user=user, user_seen=time.time(), login_failed=False, session_expired=False,
                            login_wait=0)


def _sign_out() -> None:
    st.session_state.pop("user", None)


def draw_login(sidebar) -> User:
    user = current_user()
    role = role_name(user.role, state.lang())
    if user is not ANONYMOUS:
        sidebar.caption(ui.say("session_user_role", name=user.name, role=role))  # a name from OIDC or the secrets file
        if user.source == "oidc":
            sidebar.button(state.t("logout"), key="logout_oidc", on_click=st.logout)
        else:
            sidebar.button(state.t("logout"), key="logout", on_click=_sign_out)
        return user
    with sidebar.expander(state.t("login")):
        if st.session_state.get("session_expired"):
            st.caption(state.t("session_expired"))
        if oidc_configured():
            st.button(state.t("login_oidc"), key="login_oidc", on_click=st.login)
        # A form sends account and password together, on the button or on Enter.
        with st.form("login_form", border=False, clear_on_submit=True):
            st.text_input(state.t("login_name"), key="login_name")
            st.text_input(state.t("login_password"), type="password", key="login_password")
            st.form_submit_button(state.t("login"), on_click=_sign_in)
        if st.session_state.get("login_failed"):
            st.caption(state.t("login_failed"))
            if st.session_state.get("login_wait", 0) > 0:
                st.caption(state.t("login_wait", seconds=int(st.session_state["login_wait"] + 0.999)))
    return user
