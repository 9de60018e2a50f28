from django.urls import URLPattern, path

from tamtam.strategy import views

app_name = "strategy"

# Each kind has its own id name in the path, so that the permission matrix can give each a real object.
KINDS = {
    "objective": ("objectives", "objective_id"),
    "persona": ("personas", "persona_id"),
    "pillar": ("pillars", "pillar_id"),
    "campaign": ("campaigns", "campaign_id"),
    "budget": ("budget", "budget_id"),
}

urlpatterns: list[URLPattern] = [path("w/<int:ws>/strategy/", views.strategy, name="page")]
for kind, (segment, id_name) in KINDS.items():
    base = f"w/<int:ws>/strategy/{segment}/"
    urlpatterns += [
        path(f"{base}new/", views.create, {"kind": kind}, name=f"{kind}_new"),
        path(f"{base}<int:{id_name}>/", views.edit, {"kind": kind}, name=f"{kind}_edit"),
        path(f"{base}<int:{id_name}>/delete/", views.remove, {"kind": kind}, name=f"{kind}_delete"),
    ]
