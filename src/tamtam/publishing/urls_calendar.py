"""Planning pages: calendar (one workspace and across workspaces), moves, iCal, queues, recurrence, import."""

from django.urls import path

from tamtam.publishing.views import calendar, imports, queues

urlpatterns = [
    # Calendar
    path("calendar/", calendar.calendar_all, name="calendar_all"),
    path("calendar/events.json", calendar.calendar_all_events, name="calendar_all_events"),
    path("w/<int:ws>/calendar/", calendar.calendar, name="calendar"),
    path("w/<int:ws>/calendar/events.json", calendar.calendar_events, name="calendar_events"),
    path("w/<int:ws>/calendar/load.json", calendar.calendar_load, name="calendar_load"),
    path("w/<int:ws>/targets/<int:target_id>/move/", calendar.move_target, name="move_target"),
    path("ical/<str:token>.ics", calendar.ical, name="ical"),
    # Queues
    path("w/<int:ws>/queues/", queues.queues, name="queues"),
    path("w/<int:ws>/queues/new/", queues.queue_create, name="queue_create"),
    path("w/<int:ws>/queues/<int:queue_id>/", queues.queue_edit, name="queue_edit"),
    path("w/<int:ws>/queues/<int:queue_id>/delete/", queues.queue_delete, name="queue_delete"),
    path("w/<int:ws>/queues/<int:queue_id>/slots/", queues.slot_add, name="queue_slot_add"),
    path(
        "w/<int:ws>/queues/<int:queue_id>/slots/<int:slot_id>/delete/",
        queues.slot_delete,
        name="queue_slot_delete",
    ),
    path("w/<int:ws>/queues/<int:queue_id>/add/", queues.queue_add_post, name="queue_add_post"),
    # Recurring posts
    path("w/<int:ws>/posts/<int:post_id>/recurrence/", queues.recurrence, name="recurrence"),
    path(
        "w/<int:ws>/posts/<int:post_id>/recurrence/preview/",
        queues.recurrence_preview,
        name="recurrence_preview",
    ),
    path("w/<int:ws>/posts/<int:post_id>/recurrence/stop/", queues.recurrence_stop, name="recurrence_stop"),
    # CSV import
    path("w/<int:ws>/import/", imports.import_csv, name="import"),
    path("w/<int:ws>/import/template.csv", imports.import_template, name="import_template"),
]
