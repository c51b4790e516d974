"""A scripted test double of the TypeScript GRPO environment (tests only)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class ScriptedEnv:
    """Each game lasts `moves` replies; answers alternate Yes./No.; the reward is set per key and game
    number (or the same for every game: `reward`); `invalid` of its moves are reported invalid."""

    def __init__(self, moves: int = 2, reward: float | None = None, invalid: int = 0, regrets: list[float] | None = None) -> None:
        self.moves = moves
        # sent with each game's last answer, as the engine sends each turn's exact regret
        self.regrets = regrets
        self.reward = reward
        self.invalid = invalid
        self.games: dict[int, dict[str, Any]] = {}
        self.started: dict[str, int] = {}
        self.finished: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def reset(self, key: str, step: int | None = None) -> dict[str, Any]:
        with self.lock:
            n = self.started.get(key, 0)
            self.started[key] = n + 1
            gid = len(self.games) + 1
            self.games[gid] = {"key": key, "n": n, "step": step, "replies": []}
        return {
            "id": gid,
            "messages": [
                {"role": "system", "content": "You are playing 20 questions."},
                {"role": "user", "content": "Think of an animal."},
            ],
        }

    def step(self, gid: int, reply: str) -> dict[str, Any]:
        with self.lock:
            game = self.games[gid]
            if game.get("done"):
                raise ValueError("game over")
            game["replies"].append(reply)
            if len(game["replies"]) < self.moves:
                answer = "Yes." if len(game["replies"]) % 2 else "No."
                return {"done": False, "message": {"role": "user", "content": answer}}
            game["done"] = True
            reward = self.reward if self.reward is not None else round(0.25 * (game["n"] % 4) + (0.1 if game["key"] == "b" else 0.0), 3)
            outcome = "win" if game["n"] % 2 == 0 else "loss"
            result = {
                "done": True,
                "message": {"role": "user", "content": "Game over."},
                "reward": reward,
                "outcome": outcome,
                "questions": len(game["replies"]),
                "invalid": self.invalid,
                **({"regrets": self.regrets} if self.regrets is not None else {}),
            }
            self.finished.append({"id": gid, **result})
            return result


def serve(env: ScriptedEnv) -> tuple[ThreadingHTTPServer, str]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            try:
                if self.path == "/reset":
                    out, code = env.reset(body["key"], body.get("step")), 200
                elif self.path == "/step":
                    out, code = env.step(body["id"], body["reply"]), 200
                else:
                    out, code = {"error": "not found"}, 404
            except Exception as e:  # noqa: BLE001 - the protocol's error shape
                out, code = {"error": str(e)}, 400
            data = json.dumps(out).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"
