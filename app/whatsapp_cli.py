"""`helpdesk whatsapp check|templates`: the WhatsApp Cloud API settings checked, and the texts of the
utility templates to submit for Meta's approval."""

from __future__ import annotations

import asyncio

import typer

from core.settings import Settings

whatsapp_app = typer.Typer(help="The WhatsApp channel (Cloud API).", no_args_is_help=True)

TEMPLATE_TEXTS = {
    "en": "Update from the MUKTA helpdesk: {{1}}",
    "or": "MUKTA ହେଲ୍ପଡେସ୍କରୁ ସୂଚନା: {{1}}",
    "hi": "MUKTA हेल्पडेस्क से सूचना: {{1}}",
}


@whatsapp_app.command("templates")
def templates(ctx: typer.Context) -> None:
    """Print the utility templates to submit in Meta's WhatsApp Manager (one per kind and language)."""
    settings: Settings = ctx.obj
    for kind, name in sorted(settings.whatsapp_templates.items()):
        for ours, code in sorted(settings.whatsapp_template_languages.items()):
            typer.echo(f"name: {name}\ncategory: UTILITY\nlanguage: {code}\nused for: {kind}\n"
                       f"body: {TEMPLATE_TEXTS.get(ours, TEMPLATE_TEXTS['en'])}\n"
                       "example for {{1}}: Your ticket HD-000123 is resolved: the bill was re-submitted.\n")


@whatsapp_app.command("check")
def check(ctx: typer.Context) -> None:
    """Check the token, phone number id, webhook subscription and templates against the Cloud API."""
    settings: Settings = ctx.obj
    problems = asyncio.run(_check(settings))
    for line in problems:
        typer.echo(line)
    raise typer.Exit(1 if any(line.startswith("fail") for line in problems) else 0)


async def _check(settings: Settings) -> list[str]:
    from bot.whatsapp_api import CloudApi, GraphError

    lines: list[str] = []
    missing = [name for name, value in (("HELPDESK_WHATSAPP_TOKEN", settings.whatsapp_token),
                                        ("HELPDESK_WHATSAPP_PHONE_NUMBER_ID", settings.whatsapp_phone_number_id),
                                        ("HELPDESK_WHATSAPP_APP_SECRET", settings.whatsapp_app_secret),
                                        ("HELPDESK_WHATSAPP_VERIFY_TOKEN", settings.whatsapp_verify_token))
               if not value]
    if missing:
        lines += [f"fail settings: {name} is not set" for name in missing]
    if not settings.whatsapp_token or not settings.whatsapp_phone_number_id:
        return lines
    api = CloudApi(settings)
    try:
        try:
            number = await api.phone_number()
            lines.append(f"ok   phone number: {number.get('display_phone_number')} ({number.get('verified_name')})")
        except GraphError as err:
            lines.append(f"fail phone number: {err.message} (is the token valid and the number id right?)")
            return lines
        waba = settings.whatsapp_business_account_id
        if not waba:
            lines.append("warn HELPDESK_WHATSAPP_BUSINESS_ACCOUNT_ID is not set: webhook subscription and templates "
                         "not checked")
            return lines
        apps = (await api.subscribed_apps(waba)).get("data", [])
        lines.append("ok   webhook: the app is subscribed" if apps else
                     "fail webhook: no app subscribed to the account (POST /<waba id>/subscribed_apps)")
        approved = {(t.get("name"), t.get("language")): t.get("status") for t in await api.templates(waba)}
        for name in sorted(set(settings.whatsapp_templates.values())):
            for code in sorted(set(settings.whatsapp_template_languages.values())):
                status = approved.get((name, code))
                lines.append(f"ok   template {name}/{code}: approved" if status == "APPROVED" else
                             f"fail template {name}/{code}: {status or 'missing'} (see `helpdesk whatsapp templates`)")
    except GraphError as err:
        lines.append(f"fail graph api: {err}")
    finally:
        await api.close()
    return lines
