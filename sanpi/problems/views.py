"""The problems' pages."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from . import selectors


@login_required
def detail(request, pk: int):
    problem = selectors.problem_get(user=request.user, pk=pk)
    return render(request, "problems/detail.html", {"problem": problem})
