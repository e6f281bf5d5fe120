"""Staff accounts, for admins only (blueprint ``staff_admin``)."""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic.response import HTTPResponse

from bot.console.web import console, form_value, redirect, render, requires
from bot.storage.staff import ROLES, StaffError

bp = Blueprint("staff_admin")


@bp.get("/staff")
@requires("admin")
async def staff_list(request: Request) -> HTTPResponse:
    return render(request, "staff.html", members=console(request).staff.all(), roles=ROLES)


@bp.post("/staff")
@requires("admin")
async def create_staff(request: Request) -> HTTPResponse:
    app_console = console(request)
    try:
        member = app_console.staff.create(
            form_value(request, "email", 254), form_value(request, "display_name", 120),
            form_value(request, "role", 20), form_value(request, "password", 1000),
        )
    except StaffError as error:
        return redirect(request, "/staff", str(error))
    app_console.audit.record(request.ctx.staff.id, "staff_create", member.email, role=member.role)
    return redirect(request, "/staff", f"Account created for {member.email}.")


@bp.post("/staff/<staff_id:int>")
@requires("admin")
async def update_staff(request: Request, staff_id: int) -> HTTPResponse:
    app_console = console(request)
    member = app_console.staff.get(staff_id)
    if member is None:
        return render(request, "error.html", status=404, title="Not found", message="No such account.")
    change = form_value(request, "change", 20)
    try:
        if change == "role":
            role = form_value(request, "role", 20)
            if member.id == request.ctx.staff.id and role != "admin":
                raise StaffError("You can't remove your own admin role.")
            app_console.staff.update(staff_id, role=role)
        elif change in ("deactivate", "activate"):
            if member.id == request.ctx.staff.id:
                raise StaffError("You can't deactivate your own account.")
            app_console.staff.update(staff_id, active=change == "activate")
        elif change == "password":
            app_console.staff.update(staff_id, password=form_value(request, "password", 1000))
        elif change == "unlock":
            app_console.staff.update(staff_id, unlock=True)
        else:
            raise StaffError("Unknown change.")
    except StaffError as error:
        return redirect(request, "/staff", str(error))
    app_console.audit.record(request.ctx.staff.id, f"staff_{change}", member.email)
    return redirect(request, "/staff", f"Updated {member.email}.")
