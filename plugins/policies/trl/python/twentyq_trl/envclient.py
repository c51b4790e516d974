"""The GRPO environment's HTTP protocol (README: "The environment protocol"), over urllib."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any


class EnvError(RuntimeError):
    pass


class EnvClient:
    def __init__(self, url: str, timeout_s: float = 300.0) -> None:
        self.url = url.rstrip("/")
        self.timeout_s = timeout_s

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        data = json.dumps(body).encode("utf-8")
        request = urllib.request.Request(
            self.url + path, data=data, method="POST", headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                payload = json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as e:
            text = e.read().decode("utf-8", "replace")
            try:
                message = json.loads(text).get("error", text)
            except (ValueError, AttributeError):
                message = text
            raise EnvError(f"environment {path}: HTTP {e.code}: {message}") from None
        if not isinstance(payload, dict):
            raise EnvError(f"environment {path}: the answer is not a JSON object")
        return payload

    def reset(self, key: str, step: int | None = None) -> tuple[Any, list[dict[str, Any]]]:
        answer = self._post("/reset", {"key": key} if step is None else {"key": key, "step": step})
        messages = answer.get("messages")
        if "id" not in answer or not isinstance(messages, list):
            raise EnvError("environment /reset: expected {id, messages}")
        return answer["id"], messages

    def step(self, game_id: Any, reply: str) -> dict[str, Any]:
        answer = self._post("/step", {"id": game_id, "reply": reply})
        if "done" not in answer:
            raise EnvError("environment /step: expected {done, ...}")
        return answer

    def reset_many(self, games: list[tuple[str, int | None]]) -> list[tuple[Any, list[dict[str, Any]]]]:
        """Starts several games in one request (the batch form): their (id, messages), in order."""
        items = [{"key": key} if step is None else {"key": key, "step": step} for key, step in games]
        results = self._batch("/reset", {"games": items}, len(items))
        out = []
        for k, answer in enumerate(results):
            messages = answer.get("messages")
            if "id" not in answer or not isinstance(messages, list):
                raise EnvError(f"environment /reset, game {k} of the batch: expected {{id, messages}}")
            out.append((answer["id"], messages))
        return out

    def step_many(self, moves: list[tuple[Any, str]]) -> list[dict[str, Any]]:
        """Posts a reply to each of several games in one request: their answers, in order."""
        steps = [{"id": game_id, "reply": reply} for game_id, reply in moves]
        results = self._batch("/step", {"steps": steps}, len(moves))
        for k, answer in enumerate(results):
            if "done" not in answer:
                raise EnvError(f"environment /step, move {k} of the batch: expected {{done, ...}}")
        return results

    def _batch(self, path: str, body: dict[str, Any], n: int) -> list[dict[str, Any]]:
        results = self._post(path, body).get("results")
        if not isinstance(results, list) or len(results) != n:
            raise EnvError(f"environment {path}: expected {{results: [...]}} with {n} answers")
        for k, answer in enumerate(results):
            if not isinstance(answer, dict):
                raise EnvError(f"environment {path}: answer {k} of the batch is not a JSON object")
            if "error" in answer:
                status = answer.get("status")
                raise EnvError(f"environment {path}: item {k} of the batch: HTTP {status}: {answer['error']}")
        return results
