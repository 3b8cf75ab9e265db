"""The admin's login page, with the same failed-login limits as the site's and the API's."""

from django.contrib import admin
from django.http import HttpResponse

from accounts.login_limits import login_blocked, login_failed, login_succeeded
from core.clients import client_address


def limited_admin_login(request, extra_context=None):
    if request.method != "POST":
        return admin.site.login(request, extra_context)
    account, client = request.POST.get("username", ""), client_address(request)
    blocked = login_blocked(account=account, client=client)
    if blocked is not None:
        response = HttpResponse("Too many failed attempts: wait, then try again.", status=429)
        response["Retry-After"] = str(blocked.retry_after)
        return response
    response = admin.site.login(request, extra_context)
    if request.user.is_authenticated:
        login_succeeded(account=account)
    else:
        login_failed(account=account, client=client)
    return response
