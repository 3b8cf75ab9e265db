"""The admin's login page sends people to the site's: one sign-in for every door (password, then
a code for an account with two-factor sign-in, both under the login limits), so the admin is no
way around the second factor. Nothing posted here is checked."""

from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode


def admin_login_redirect(request, extra_context=None):
    if request.user.is_authenticated:
        # Signed in, but not staff (the admin sends only those here): the site's login page would
        # send them straight back.
        raise PermissionDenied
    target = request.GET.get("next") or reverse("admin:index")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        target = reverse("admin:index")
    # 303: a POST of the admin's old form becomes a GET of the site's login page.
    response = HttpResponseRedirect(f"{reverse('login')}?{urlencode({'next': target})}")
    response.status_code = 303
    return response
