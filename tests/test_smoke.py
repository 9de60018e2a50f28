from django.test import Client


def test_login_page_renders_in_english_and_french(db, client: Client) -> None:
    assert "Log in to tamtam" in client.get("/accounts/login/").content.decode()


def test_healthz_answers_json(db, client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_test_modules_have_unique_basenames() -> None:
    # pytest's default import mode imports test modules by basename: a second tests/<app>/test_api.py
    # stops the whole collection.
    from collections import Counter
    from pathlib import Path

    root = Path(__file__).resolve().parent
    names = Counter(p.name for p in root.rglob("test_*.py") if "node_modules" not in p.parts)
    assert not [name for name, n in names.items() if n > 1]
