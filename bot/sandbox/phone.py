"""``make sms``: text the running bot as a resident's phone, without Twilio.

Type a message and press Enter; it goes to the Twilio stand-in, which
delivers it to the bot as a correctly signed Twilio webhook, exactly as
Twilio would. Replies the bot sent through the (stand-in) Twilio API are
printed as they arrive, with their segment count.

    /photo PATH [text]   send a photo (MMS) with optional text
    /quit                leave
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import mimetypes
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional

import aiohttp

from bot.settings import load_settings


async def send(session: aiohttp.ClientSession, sandbox: str, phone: str, body: str,
               photo: Optional[Path] = None) -> Dict[str, Any]:
    payload: Dict[str, Any] = {"from": phone, "body": body}
    if photo is not None:
        content_type = mimetypes.guess_type(photo.name)[0] or "application/octet-stream"
        payload["media"] = [{"content_type": content_type, "data_base64": base64.b64encode(photo.read_bytes()).decode()}]
    async with session.post(f"{sandbox}/sandbox/inbound", json=payload) as response:
        return await response.json()


async def replies(session: aiohttp.ClientSession, sandbox: str, phone: str, after: int) -> List[Dict[str, Any]]:
    async with session.get(f"{sandbox}/sandbox/messages", params={"to": phone, "after": str(after)}) as response:
        return (await response.json())["messages"]


async def show_replies(session: aiohttp.ClientSession, sandbox: str, phone: str, start: int) -> None:
    seen = start
    while True:
        try:
            for message in await replies(session, sandbox, phone, seen):
                seen = message["index"]
                print(f"\nbot ({message['num_segments']} segment(s)):\n{message['body']}\n", flush=True)
                print("you> ", end="", flush=True)
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.3)


async def run(sandbox: str, phone: str) -> int:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        try:
            start = len(await replies(session, sandbox, phone, 0))
        except aiohttp.ClientError:
            print(f"The Twilio stand-in is not answering at {sandbox}. Start the bot with `make run` first "
                  "(with no TWILIO_* credentials set).", file=sys.stderr)
            return 1
        print(f"Texting the bot as {phone}. /photo PATH [text] sends a photo, /quit leaves.")
        watcher = asyncio.create_task(show_replies(session, sandbox, phone, start))
        loop = asyncio.get_running_loop()
        try:
            while True:
                line = await loop.run_in_executor(None, lambda: input("you> "))
                if line.strip() == "/quit":
                    return 0
                photo = None
                if line.startswith("/photo "):
                    path, _, line = line[len("/photo "):].partition(" ")
                    photo = Path(path).expanduser()
                    if not photo.is_file():
                        print(f"No such file: {photo}")
                        continue
                result = await send(session, sandbox, phone, line, photo)
                if result.get("webhook_status") != 200:
                    print(f"(the bot did not accept the message: {result})")
        except (EOFError, KeyboardInterrupt):
            return 0
        finally:
            watcher.cancel()


def main(argv: Optional[List[str]] = None) -> int:
    settings = load_settings()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--from", dest="phone", default="+447700900123", help="the resident's number (E.164)")
    parser.add_argument("--sandbox", default=f"http://{settings.bind_host}:{settings.twilio_sandbox_port}",
                        help="the Twilio stand-in's address")
    args = parser.parse_args(argv)
    return asyncio.run(run(args.sandbox.rstrip("/"), args.phone))


if __name__ == "__main__":
    sys.exit(main())
