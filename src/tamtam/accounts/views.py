from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tamtam.accounts.forms import ProfileForm
from tamtam.accounts.models import ApiToken


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Profile saved."))
        response = redirect("accounts:profile")
        if form.cleaned_data["language"]:
            response.set_cookie("django_language", form.cleaned_data["language"], samesite="Lax")
        return response
    tokens = ApiToken.objects.filter(user=request.user, revoked_at__isnull=True).select_related("workspace")
    return render(request, "accounts/profile.html", {"form": form, "tokens": tokens})


@login_required
@require_POST
def create_token(request: HttpRequest) -> HttpResponse:
    name = (request.POST.get("name") or "").strip() or _("API token")
    _token, raw = ApiToken.issue(request.user, name[:80])
    tokens = ApiToken.objects.filter(user=request.user, revoked_at__isnull=True)
    form = ProfileForm(instance=request.user)
    # Shown once, never stored in clear: only its hash is kept.
    return render(request, "accounts/profile.html", {"form": form, "tokens": tokens, "new_token": raw})


@login_required
@require_POST
def revoke_token(request: HttpRequest, token_id: int) -> HttpResponse:
    from django.utils import timezone

    ApiToken.objects.filter(user=request.user, id=token_id).update(revoked_at=timezone.now())
    messages.success(request, _("Token revoked."))
    return redirect("accounts:profile")
