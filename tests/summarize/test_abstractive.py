"""The abstractive summarizer against a loopback server that speaks OpenAI's /v1/chat/completions."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from syndicate.config import get_settings
from syndicate.model import Release
from syndicate.summarize import summarize_release
from syndicate.summarize.llm import chat_url
from tests.conftest import free_port

RELEASE = Release(
    title="나주시, 경로당 김치냉장고 보급 완료",
    language="ko",
    paragraphs=[
        "전라남도 나주시는 올해 관내 261개소 경로당에 김치냉장고 지원을 완료했다고 4일 밝혔다.",
        "시는 2026년부터 노후 제품 교체도 지원할 계획이다.",
    ],
)
ANSWER = "나주시가 경로당 261곳에 김치냉장고를 보급했다. 내년부터 교체도 지원한다. 셋째 문장이다. 넷째 문장이다."


@dataclass
class FakeOpenAI:
    """Answers like an OpenAI-compatible server; ``mode`` injects failures."""

    url: str
    mode: str = "ok"
    answer: str = ANSWER
    requests: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture
def openai_server() -> Iterator[FakeOpenAI]:
    port = free_port()
    state = FakeOpenAI(url=f"http://127.0.0.1:{port}/v1")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            state.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
            if state.mode == "500":
                self._send(500, {"error": {"message": "model crashed", "type": "server_error"}})
            elif state.mode == "garbage":
                self._send(200, {"object": "list", "data": []})
            elif state.mode == "slow":
                time.sleep(1.5)
                self._send(200, _completion(state.answer))
            elif self.path != "/v1/chat/completions":
                self._send(404, {"error": {"message": "not found"}})
            else:
                self._send(200, _completion(state.answer))

        def _send(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload, ensure_ascii=False).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (the timeout case): that is the point of it

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


def _completion(content: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "local-model",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
    }


@pytest.fixture
def abstractive(openai_server: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> FakeOpenAI:
    monkeypatch.setenv("SYNDICATE_SUMMARIZER", "abstractive")
    monkeypatch.setenv("SYNDICATE_OPENAI_BASE_URL", openai_server.url)
    monkeypatch.setenv("SYNDICATE_OPENAI_API_KEY", "sk-test-secret")
    monkeypatch.setenv("SYNDICATE_OPENAI_MODEL", "local-model")
    monkeypatch.setenv("SYNDICATE_TRANSLATE_TIMEOUT", "0.5")
    get_settings.cache_clear()
    return openai_server


def test_abstractive_summary_from_the_endpoint_within_budget(abstractive: FakeOpenAI) -> None:
    summary = summarize_release(RELEASE, get_settings())
    assert summary.method == "abstractive"
    assert summary.sentences == [
        "나주시가 경로당 261곳에 김치냉장고를 보급했다.",
        "내년부터 교체도 지원한다.",
        "셋째 문장이다.",
    ]
    [request] = abstractive.requests
    assert request["path"] == "/v1/chat/completions"
    assert request["auth"] == "Bearer sk-test-secret"
    assert request["body"]["model"] == "local-model"
    assert request["body"]["temperature"] == 0
    system, user = request["body"]["messages"]
    assert system["role"] == "system" and "Korean" in system["content"] and "3 sentences" in system["content"]
    assert user["role"] == "user" and RELEASE.title in user["content"] and "261개소" in user["content"]


@pytest.mark.parametrize("mode", ["500", "garbage", "slow"])
def test_failures_fall_back_to_extractive(abstractive: FakeOpenAI, mode: str, caplog: pytest.LogCaptureFixture) -> None:
    abstractive.mode = mode
    summary = summarize_release(RELEASE, get_settings())
    assert summary.method == "extractive"
    assert summary.sentences == RELEASE.paragraphs
    assert len(abstractive.requests) == 1
    assert "sk-test-secret" not in caplog.text


def test_a_summary_with_invented_figures_is_refused(abstractive: FakeOpenAI) -> None:
    abstractive.answer = "나주시가 경로당 300곳에 김치냉장고를 보급했다."  # the release says 261
    assert summarize_release(RELEASE, get_settings()).method == "extractive"
    abstractive.answer = "나주시가 경로당 261곳에 김치냉장고를 보급했다."
    assert summarize_release(RELEASE, get_settings()).method == "abstractive"


def test_unreachable_endpoint_and_missing_url_fall_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNDICATE_SUMMARIZER", "abstractive")
    get_settings.cache_clear()
    assert summarize_release(RELEASE, get_settings()).method == "extractive"
    monkeypatch.setenv("SYNDICATE_OPENAI_BASE_URL", f"http://127.0.0.1:{free_port()}")
    get_settings.cache_clear()
    assert summarize_release(RELEASE, get_settings()).method == "extractive"


def test_the_ssrf_guard_applies_to_the_endpoint(abstractive: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNDICATE_ALLOW_HOSTS", "")
    get_settings.cache_clear()
    assert summarize_release(RELEASE, get_settings()).method == "extractive"
    assert abstractive.requests == []


def test_off_by_default(openai_server: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNDICATE_OPENAI_BASE_URL", openai_server.url)
    get_settings.cache_clear()
    assert summarize_release(RELEASE, get_settings()).method == "extractive"
    assert openai_server.requests == []


def test_chat_url_accepts_both_base_conventions() -> None:
    assert chat_url("http://127.0.0.1:8080") == "http://127.0.0.1:8080/v1/chat/completions"
    assert chat_url("http://127.0.0.1:8080/v1/") == "http://127.0.0.1:8080/v1/chat/completions"
    assert chat_url("http://h/v1/chat/completions") == "http://h/v1/chat/completions"
