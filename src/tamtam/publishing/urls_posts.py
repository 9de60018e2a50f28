"""Composer, post detail and review pages (the calendar pages live in urls_calendar.py)."""

from django.urls import path

from tamtam.publishing.views import posts, posts_detail, review

W = "w/<int:ws>/"
P = W + "posts/<int:post_id>/"

urlpatterns = [
    path(W + "posts/new/", posts.compose, name="post_new"),
    path(W + "posts/checks/", posts.live_checks, name="post_checks"),
    path(P, posts_detail.post_detail, name="post_detail"),
    path(P + "edit/", posts.compose, name="post_edit"),
    path(P + "cancel/", posts_detail.cancel, name="post_cancel"),
    path(P + "delete/", posts_detail.delete, name="post_delete"),
    path(P + "targets/<int:target_id>/retry/", posts_detail.retry, name="target_retry"),
    path(P + "targets/<int:target_id>/resolve/", posts_detail.resolve, name="target_resolve"),
    path(P + "decide/", review.decide, name="post_decide"),
    path(P + "comments/", review.comment, name="post_comment"),
    path(P + "approval-link/", review.approval_link, name="post_approval_link"),
    path(W + "review/", review.review_list, name="review_list"),
    path(W + "review/<int:post_id>/", review.review_post, name="review_post"),
    path("review/<str:token>/", review.review_link, name="review_link"),
]
