"""`scf up` with people: the demo's people sign in over real HTTP (password, and a current
code from `scf dev totp` for admins and checkers; then the session cookie and its CSRF
token) and read, write and govern as themselves."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from http.cookiejar import MozillaCookieJar
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from scfledger.cli import app
from scfledger.network.anvil import free_port
from tests.api.test_scf_up import scf_up, uploaded
from tests.support.api import assert_problem, cny, event, write
from tests.support.served import wait_ready
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration

LOGIN = "/v1/auth/login"
PARTICIPANTS = {"admin1", "admin2", "admin3", "core", "supplier1", "supplier2", "supplier3"}
PARTICIPANTS |= {"bank", "auditor"}


def current_code(directory: Path, participant: str, username: str) -> str:
    """The code `scf dev totp` prints, as the README's walk-through gets it (run in this
    process: printed_sign_in runs it as its own process, as the user does; a start of it
    costs seconds of imports)."""
    printed = CliRunner().invoke(
        app, ["dev", "totp", "--dir", str(directory), participant, username]
    )
    code = printed.output.strip()
    assert printed.exit_code == 0, printed.output
    assert len(code) == 6, printed.output
    assert code.isdigit(), printed.output
    return code


def printed_sign_in(
    proc: subprocess.Popen[str], workdir: Path, base: str, lines: list[str]
) -> httpx.Client:
    """Runs the sign-in commands `scf up` printed (a shell, curl, `scf dev totp`) and
    continues their session: the cookie curl kept and the CSRF token it was answered.
    The lines read from scf up's output are appended to `lines`."""
    assert proc.stdout is not None
    # Up to its last line (how a checker approves a draft): the rest of what is buffered
    # here would be lost to communicate(timeout=...), which reads the pipe itself.
    while not lines or "/v1/drafts/<id>/approve" not in lines[-1]:
        line = proc.stdout.readline()
        assert line, "scf up ended before printing how to sign in:\n" + "".join(lines)
        lines.append(line)
    first = next(i for i, line in enumerate(lines) if line.strip().startswith("PASSWORD="))
    commands = [line.strip() for line in lines[first : first + 3]]
    assert commands[2].startswith("curl "), lines
    bin_dir = str(Path(sys.executable).parent)  # the venv's scf and python
    answer = subprocess.run(
        ["bash", "-c", "\n".join(commands)],
        cwd=workdir, env={**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"},
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    signed = json.loads(answer.stdout)
    assert signed["person"]["username"] == "checker", signed
    jar = MozillaCookieJar(str(workdir / "cookies"))
    jar.load()
    client = httpx.Client(base_url=base, cookies=jar, timeout=120)
    client.headers["X-CSRF-Token"] = signed["csrf_token"]
    return client


def indexed(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 202, response.text
    body: dict[str, Any] = response.json()
    assert (body["status"], body["error"]) == ("indexed", None), body
    return body


def checked(held: httpx.Response, checker: httpx.Client, kind: str, maker: str) -> dict[str, Any]:
    """The maker's write `held` as a draft (202, `object: draft`, its Location); `checker`
    approves it and the draft's operation is followed until it is indexed."""
    assert held.status_code == 202, held.text
    draft = held.json()
    assert (draft["object"], draft["kind"], draft["status"]) == ("draft", kind, "pending"), draft
    assert (draft["maker"], draft["operation_id"]) == (maker, None), draft
    assert held.headers["location"] == f"/v1/drafts/{draft['id']}"
    answer = checker.post(f"/v1/drafts/{draft['id']}/approve")
    assert answer.status_code == 200, answer.text
    decided = answer.json()
    assert decided["draft"]["status"] == "submitted", decided
    operation_id = decided["operation"]["id"]
    assert decided["draft"]["operation_id"] == operation_id

    def done() -> dict[str, Any] | None:
        """Mined (the pipeline saw its receipt), with its events indexed."""
        body: dict[str, Any] = checker.get(f"/v1/operations/{operation_id}").json()
        mined = body["status"] in ("mined", "indexed") and body["events"]
        return body if body["status"] == "failed" or mined else None

    operation = eventually(done, what=f"operation {operation_id} indexed", timeout=120)
    assert operation["error"] is None, operation  # not failed
    return operation


def test_scf_up_people_sign_in_and_act_as_themselves(tmp_path: Path) -> None:
    port = free_port()
    directory = tmp_path / "up"
    workdir = tmp_path / "workdir"  # where the user types what scf up printed
    workdir.mkdir()
    proc = scf_up(directory, port)
    base = f"http://127.0.0.1:{port}"
    clients: list[httpx.Client] = []
    printed: list[str] = []  # what scf up printed (read while it runs, then at the end)
    people: dict[str, dict[str, dict[str, Any]]] = {}
    try:
        wait_ready(base, proc, 180)
        # core's checker, signed in as scf up told the user: the commands it printed.
        core_checker = printed_sign_in(proc, workdir, base, printed)
        clients.append(core_checker)
        assert core_checker.get("/v1/auth/me").json()["roles"] == ["checker"]
        people_file = directory / "people.json"
        assert people_file.stat().st_mode & 0o777 == 0o600
        document = json.loads(people_file.read_text())
        assert document["deployment"] == "scf up"
        people = document["people"]
        assert set(people) == PARTICIPANTS
        assert set(people["core"]) == {"admin", "maker", "checker"}
        assert set(people["auditor"]) == {"admin", "maker", "checker", "viewer"}
        assert people["core"]["admin"]["roles"] == ["admin", "checker"]
        assert people["core"]["maker"]["totpSecret"] is None  # makers: a password only
        credentials = json.loads((directory / "credentials.json").read_text())

        def sign_in(participant: str, username: str) -> httpx.Client:
            """A browser-like client signed in as the person: cookie jar and CSRF token."""
            person = people[participant][username]
            body = {"participant": participant, "username": username}
            body["password"] = person["password"]
            if person["totpSecret"] is not None:
                body["code"] = current_code(directory, participant, username)
            client = httpx.Client(base_url=base, timeout=120)
            clients.append(client)
            answer = client.post(LOGIN, json=body)
            assert answer.status_code == 200, answer.text
            assert "scf_session" in client.cookies
            client.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
            return client

        # A checker's password alone is not enough; a wrong password says nothing more.
        anonymous = httpx.Client(base_url=base, timeout=60)
        clients.append(anonymous)
        checker = people["core"]["checker"]
        alone = {"participant": "core", "username": "checker", "password": checker["password"]}
        assert_problem(anonymous.post(LOGIN, json=alone), 401, "second-factor-required")
        wrong = {**alone, "password": "not the password of anyone"}
        assert_problem(anonymous.post(LOGIN, json=wrong), 401, "invalid-credentials")

        # core's maker reads, and prepares an issue; without the CSRF token, no write.
        maker = sign_in("core", "maker")
        assert {m["name"] for m in maker.get("/v1/members").json()} >= PARTICIPANTS
        receivable = {
            "creditor": credentials["supplier1"]["address"],
            "face_amount": cny(250_000),
            "due_date": 2_840_140_800,
            "document_hash": uploaded(maker, "invoice of core's maker"),
        }
        token = maker.headers.pop("X-CSRF-Token")
        assert_problem(write(maker, "/v1/receivables", "no-csrf", receivable), 403, "csrf-failed")
        maker.headers["X-CSRF-Token"] = token
        # Maker-checker is on (scf up's default policy): the issue is held as a draft, with
        # nothing sent, until core's checker (signed in as scf up printed) approves it.
        issue = write(maker, "/v1/receivables", "issue-by-maker", receivable)
        issued = checked(issue, core_checker, "receivable.issue", "maker")
        slot = event(issued, "ReceivableIssued")["slot"]

        # supplier1's maker accepts: `receivable.accept` is not a kind of the default policy,
        # so it goes straight on. The auditor's viewer reads it and may write nothing.
        accepted = write(sign_in("supplier1", "maker"), f"/v1/receivables/{slot}/accept", "ok")
        assert "object" not in accepted.json(), accepted.text  # an operation, not a draft
        indexed(accepted)
        viewer = sign_in("auditor", "viewer")
        assert viewer.get(f"/v1/receivables/{slot}").status_code == 200
        refused = write(viewer, f"/v1/receivables/{slot}/accept", "viewer")
        assert_problem(refused, 403, "role-required")  # a viewer is told it is one

        # Governance by people: admin1's admin creates and proposes a participant, admin2's
        # admin approves; admin1's maker may cast no vote. Votes are checked kinds
        # (`member.admit`, `proposal.approve`): each institution's own checker approves its
        # admin's vote before it is cast (the admin, a checker too, never checks its own).
        admin1, admin2 = sign_in("admin1", "admin"), sign_in("admin2", "admin")
        admin1_maker = sign_in("admin1", "maker")
        by_maker = admin1_maker.post("/v1/participants", json={"name": "supplier4"})
        assert_problem(by_maker, 403, "role-required")
        created = admin1.post("/v1/participants", json={"name": "supplier4"})
        assert created.status_code == 201, created.text
        address = created.json()["address"]
        admission = {"address": address, "name": "Supplier Four", "legal_id": "legal 4",
                     "kyc": "kyc 4", "roles": ["supplier"]}  # fmt: skip
        assert_problem(write(admin1_maker, "/v1/members", "m", admission), 403, "role-required")
        vote = write(admin1, "/v1/members", "admit-4", admission)
        own = admin1.post(f"/v1/drafts/{vote.json()['id']}/approve")
        assert_problem(own, 403, "own-draft")
        proposed = checked(vote, sign_in("admin1", "checker"), "member.admit", "admin")
        proposal = event(proposed, "ProposalCreated")["proposalId"]
        vote = write(admin2, f"/v1/proposals/{proposal}/approve", "ok-4")
        approved = checked(vote, sign_in("admin2", "checker"), "proposal.approve", "admin")
        assert event(approved, "ProposalApproved")["admin"] == credentials["admin2"]["address"]
        assert {m["address"]: m["status"] for m in admin2.get("/v1/members").json()}[
            address
        ] == "active"
    finally:
        for client in clients:
            client.close()
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=30)
    output = "".join(printed) + output
    assert proc.returncode == 0, output
    assert "people.json" in output  # scf up says where the people's secrets are
    assert "maker-checker is on" in output  # and that writes wait for a checker, and how:
    assert f"-X POST http://127.0.0.1:{port}/v1/drafts/<id>/approve" in output
    for persons in people.values():
        for person in persons.values():
            assert person["password"] not in output  # in the 0600 file, not on the terminal
            assert person["totpSecret"] is None or person["totpSecret"] not in output
