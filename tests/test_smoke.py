from django.test import Client


def test_login_page_renders_in_english_and_french(db, client: Client) -> None:
    assert "Log in to tamtam" in client.get("/accounts/login/").content.decode()


def test_healthz_answers_json(db, client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["due_count"] == 0
