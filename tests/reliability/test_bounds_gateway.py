"""Issue 10, the gateway's bounds: what a replica answers and what a caller uploads.

The real gateway runs under uvicorn in its own process (`gateway_rig`) in front of a replica
process that misbehaves on purpose (`hostile_replica`), so the faults are real bytes on real
sockets and the RSS measured is the gateway process's.  The module's rig runs with small
bounds (`RIG_LIMITS`: 8 MiB responses, 4 MiB requests, 1 s body read timeout); the 1 GiB-chunk
case runs one with the defaults.  Figures print as `FIGURES` lines with `-s`.
"""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import httpx
import pytest

from tests.support.reliability import Rig, report, start_rig

MIB = 1024 * 1024


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident set so far (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def error_of(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, (response.status_code, response.text[:300])
    assert response.headers["content-type"] == "application/json"
    message = response.json()["error"]
    assert isinstance(message, str) and message
    return message


def read_answer(sock: socket.socket) -> bytes:
    """One whole HTTP answer with a Content-Length, read off a raw socket."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536) or b"\r\n\r\n"
    head, _, rest = data.partition(b"\r\n\r\n")
    length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), 0)
    while len(rest) < length:
        piece = sock.recv(65536)
        if not piece:
            break
        rest += piece
    return head + b"\r\n\r\n" + rest


def no_traceback(rig: Rig) -> None:
    assert "Traceback" not in rig.log_text(), rig.log_text()[-3000:]


# --------------------------------------------------------------------------- replica responses


def test_a_1_gib_chunk_is_streamed_and_cut_at_the_limit_not_buffered(tmp_path: Path) -> None:
    """Before: the control plane grew 66 MB -> 1.2 GB and answered 200 with an empty body."""
    rig, procs = start_rig(tmp_path, limits={})  # the default bounds (256 MiB responses)
    try:
        before = rss_mb(rig.pid)
        received = 0
        started = time.monotonic()
        with pytest.raises(httpx.HTTPError):  # the connection is cut, not ended as if complete
            with httpx.stream("GET", rig.url + "/huge-chunk", timeout=60) as response:
                assert response.status_code == 200
                for piece in response.iter_raw():
                    received += len(piece)
        seconds = time.monotonic() - started
        peak = peak_rss_mb(rig.pid)
        report("gateway_1gib_chunk", rss_before_mb=round(before, 1), rss_peak_mb=round(peak, 1),
               received_mb=round(received / MIB, 1), seconds=round(seconds, 2))
        assert 200 * MIB <= received <= 256 * MIB  # streamed up to the limit, then cut
        assert peak - before < 100, (before, peak)
        assert "over the limit" in rig.log_text()
        no_traceback(rig)
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()


def test_an_announced_length_over_the_limit_is_a_502_before_anything_is_sent(rig: Rig) -> None:
    message = error_of(httpx.get(rig.url + f"/big?n={20 * MIB}", timeout=30), 502)
    assert "limit" in message and str(20 * MIB) in message


def test_an_answer_within_the_limit_passes_whole(rig: Rig) -> None:
    response = httpx.get(rig.url + f"/big?n={6 * MIB}", timeout=30)
    assert response.status_code == 200 and len(response.content) == 6 * MIB


def test_a_replica_closing_mid_body_cuts_the_client_s_connection(rig: Rig) -> None:
    with pytest.raises(httpx.HTTPError):  # never a 200 whose body looks complete
        httpx.get(rig.url + "/short", timeout=30)
    no_traceback(rig)


@pytest.mark.parametrize("path", ["/bad-length", "/negative-length", "/two-lengths", "/bad-chunk",
                                  "/chunked-and-length",
                                  "/bad-header", "/bad-name"])
def test_a_malformed_answer_is_a_502_with_a_reason(rig: Rig, path: str) -> None:
    message = error_of(httpx.get(rig.url + path, timeout=30), 502)
    assert "malformed" in message or "bad" in message
    assert "\x00" not in message and "\x1b" not in message
    no_traceback(rig)
    # The gateway still serves afterwards.
    assert httpx.post(rig.url + "/echo", content=b"{}", timeout=10).status_code == 200


# --------------------------------------------------------------------------- request bodies


def test_a_request_body_over_the_limit_is_a_413(rig: Rig) -> None:
    message = error_of(httpx.post(rig.url + "/echo", content=b"x" * (5 * MIB), timeout=30), 413)
    assert "limit" in message


def test_a_streamed_request_body_over_the_limit_is_a_413(rig: Rig) -> None:
    def pieces():
        for _ in range(10):
            yield b"x" * MIB

    error_of(httpx.post(rig.url + "/echo", content=pieces(), timeout=30), 413)


def stalled_uploads(rig: Rig, count: int = 10) -> tuple[list[bytes], float]:
    """`count` uploads that send 3 MB of a 4 MB body, then nothing: their answers, and how long
    the last took to come."""
    port = int(rig.url.split(":")[2].split("/")[0])
    sockets = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port))
        sock.sendall(b"POST /default/svc/echo HTTP/1.1\r\nhost: x\r\ncontent-length: 4000000\r\n\r\n"
                     + b"x" * 3_000_000)  # most of it, then nothing more
        sockets.append(sock)
    answers = []
    started = time.monotonic()
    for sock in sockets:
        sock.settimeout(10)
        answers.append(read_answer(sock))
        sock.close()
    return answers, time.monotonic() - started


def test_stalled_uploads_time_out_with_a_408_and_give_the_memory_back(rig: Rig) -> None:
    """Before: ten stalled 64 MiB uploads held 600 MB with no timeout.  Here ten stalled 3 MB
    uploads meet a 16 MiB budget for all requests together: those beyond it get a 503 at once,
    the others a 408 after the 1 s body read timeout.  The memory is given back for reuse: a
    second round does not grow the process (the allocator may keep some pages mapped, so RSS
    right after a round is not a fair measure of a leak; growth across rounds is)."""
    before = rss_mb(rig.pid)
    answers, waited = stalled_uploads(rig)
    after_first = rss_mb(rig.pid)
    again, _ = stalled_uploads(rig)
    after_second = rss_mb(rig.pid)
    statuses = sorted(int(answer.split(b" ", 2)[1]) for answer in answers)
    report("gateway_stalled_uploads", uploads=10, rss_before_mb=round(before, 1),
           rss_after_round_1_mb=round(after_first, 1), rss_after_round_2_mb=round(after_second, 1),
           answered_within_s=round(waited, 2), statuses=statuses)
    assert set(statuses) == {408, 503}, statuses
    assert statuses.count(408) <= 16 * MIB // 3_000_000 + 1
    for answer in answers + again:
        assert json.loads(answer.split(b"\r\n\r\n", 1)[1])["error"], answer
    assert waited < 5
    assert after_first - before < 40, (before, after_first)  # 16 MiB budget, not 30 MB held
    assert after_second - after_first < 8, (after_first, after_second)
