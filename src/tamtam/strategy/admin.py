from django.contrib import admin

from tamtam.strategy.models import BudgetLine, Campaign, Objective, Persona, Pillar


@admin.register(Objective)
class ObjectiveAdmin(admin.ModelAdmin):
    list_display = ["name", "workspace", "kind", "metric", "target", "starts_on", "ends_on", "owner"]
    list_filter = ["kind", "metric"]


@admin.register(BudgetLine)
class BudgetLineAdmin(admin.ModelAdmin):
    list_display = [
        "label",
        "workspace",
        "category",
        "planned_amount",
        "actual_amount",
        "currency",
        "starts_on",
    ]
    list_filter = ["category", "currency"]


admin.site.register([Persona, Pillar, Campaign])
