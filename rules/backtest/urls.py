"""Backtest URLs, included from the root URLconf at the root (fixed words and ids only)."""

from django.urls import path

from rules.backtest import views

urlpatterns = [
    path("rules/backtest/", views.editor_backtest, name="rule-backtest-new"),
    path("rules/<int:pk>/backtest/", views.editor_backtest, name="rule-backtest"),
    path("api/v1/rules/backtest", views.api_backtest, name="api-rules-backtest"),
]
