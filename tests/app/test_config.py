"""Configuration: every mistake names the setting and the fix; keys come only from safe files."""

from __future__ import annotations

from pathlib import Path

import pytest

from terminal.config import load_config
from terminal.errors import ConfigError, SecretFileError

KEY = "blink_" + "Qx7" * 16

BASE = """\
[terminal]
name = "Corner Café"

[blink]
api_url = "https://api.blink.sv/graphql"
ws_url = "wss://ws.blink.sv/graphql"

[blinkpos]
key_file = "blinkpos.key"

[merchant]
username = "corner-cafe"
"""


def write(folder: Path, text: str, *, key_mode: int = 0o600) -> Path:
    key = folder / "blinkpos.key"
    key.write_text(KEY + "\n")
    key.chmod(key_mode)
    path = folder / "terminal.toml"
    path.write_text(text)
    return path


def test_a_minimal_config_loads_with_sensible_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, BASE))
    assert config.terminal.name == "Corner Café"
    assert config.blinkpos.key.reveal() == KEY
    assert config.merchant.username == "corner-cafe"
    assert config.merchant.key is None
    assert config.terminal.state_dir == tmp_path / "state"
    assert config.terminal.invoice_expiry_minutes == 15


def test_the_key_never_shows_in_the_config_repr(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, BASE))
    assert KEY not in repr(config)
    assert KEY not in str(config.blinkpos)


@pytest.mark.parametrize(
    ("change", "setting"),
    [
        (('name = "Corner Café"', 'name = ""'), "terminal.name"),
        (('name = "Corner Café"', "name = 5"), "terminal.name"),
        (
            ("[terminal]", "[terminal]\ninvoice_expiry_minutes = 0"),
            "terminal.invoice_expiry_minutes",
        ),
        (("[terminal]", "[terminal]\nmax_amount_sats = -1"), "terminal.max_amount_sats"),
        (("[terminal]", "[terminal]\nlog_level = 'loud'"), "terminal.log_level"),
        (("[terminal]", "[terminal]\nmax_amount_sats = true"), "terminal.max_amount_sats"),
        (("[blink]", "[blink]\ntimeout_seconds = 0.5"), "blink.timeout_seconds"),
        (("[blink]", "[blink]\ntimeout_seconds = '10'"), "blink.timeout_seconds"),
        (("[terminal]", "[terminal]\nnmae = 'typo'"), "terminal.nmae"),
        (("https://api.blink.sv", "http://api.blink.sv"), "blink.api_url"),
        (("wss://ws.blink.sv", "ws://ws.blink.sv"), "blink.ws_url"),
        (("wss://ws.blink.sv/graphql", "ftp://ws.blink.sv/graphql"), "blink.ws_url"),
        (('key_file = "blinkpos.key"', 'key_file = ""'), "blinkpos.key_file"),
        (('key_file = "blinkpos.key"', 'key_file = "missing.key"'), "blinkpos.key_file"),
        (('username = "corner-cafe"', 'username = ""'), "merchant.username"),
        (('username = "corner-cafe"', 'username = "a"\nwallet_id = "b"'), "merchant.username"),
        (("[merchant]", "[merchants]"), "merchants"),
    ],
)
def test_each_mistake_names_its_setting(
    tmp_path: Path, change: tuple[str, str], setting: str
) -> None:
    text = BASE.replace(*change)
    assert text != BASE
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text))
    assert caught.value.setting == setting
    assert setting in str(caught.value)
    assert KEY not in str(caught.value)


def test_plain_http_is_allowed_on_loopback_only(tmp_path: Path) -> None:
    text = BASE.replace("https://api.blink.sv", "http://127.0.0.1:4455").replace(
        "wss://ws.blink.sv", "ws://localhost:4455"
    )
    config = load_config(write(tmp_path, text))
    assert config.blink.api_url.startswith("http://127.0.0.1")


def test_a_wrong_type_says_what_is_wanted_and_shows_a_right_value(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, BASE.replace('name = "Corner Café"', "name = 5")))
    assert caught.value.problem == "must be a string, not a whole number"
    assert caught.value.fix == 'write e.g. name = "Blink terminal"'


def test_a_number_out_of_range_gives_the_range_and_a_right_value(tmp_path: Path) -> None:
    text = BASE.replace("[terminal]", "[terminal]\ninvoice_expiry_minutes = 90")
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text))
    assert caught.value.problem == "must be between 1 and 60, not 90"
    assert caught.value.fix == "write e.g. invoice_expiry_minutes = 15"


def test_log_level_may_be_written_in_any_case(tmp_path: Path) -> None:
    config = load_config(
        write(tmp_path, BASE.replace("[terminal]", "[terminal]\nlog_level = 'INFO'"))
    )
    assert config.terminal.log_level == "info"


def test_a_whole_number_timeout_is_read_as_seconds(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, BASE.replace("[blink]", "[blink]\ntimeout_seconds = 30")))
    assert config.blink.timeout_seconds == 30.0
    assert isinstance(config.blink.timeout_seconds, float)


def test_a_key_file_others_can_read_is_refused_like_ssh_does(tmp_path: Path) -> None:
    with pytest.raises(SecretFileError) as caught:
        load_config(write(tmp_path, BASE, key_mode=0o644))
    assert caught.value.setting == "blinkpos.key_file"
    assert "chmod 600" in str(caught.value)
    assert KEY not in str(caught.value)


def test_a_key_file_with_two_lines_is_refused_without_showing_them(tmp_path: Path) -> None:
    path = write(tmp_path, BASE)
    (tmp_path / "blinkpos.key").write_text(KEY + "\nsecond line\n")
    with pytest.raises(SecretFileError) as caught:
        load_config(path)
    assert KEY not in str(caught.value)
    assert "second" not in str(caught.value)


def test_keys_come_from_the_systemd_credentials_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "blinkpos.key").write_text("blink_fromcredentialsdirectory1234")
    (creds / "blinkpos.key").chmod(0o400)
    config_dir = tmp_path / "etc"
    config_dir.mkdir()
    path = config_dir / "terminal.toml"
    path.write_text(BASE)
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(creds))
    config = load_config(path)
    assert config.blinkpos.key.reveal() == "blink_fromcredentialsdirectory1234"


def test_state_directory_follows_systemd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STATE_DIRECTORY", "/var/lib/blink-terminal")
    config = load_config(write(tmp_path, BASE))
    assert config.terminal.state_dir == Path("/var/lib/blink-terminal")


def test_invalid_toml_points_at_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, BASE + "\n[display\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(path) in str(caught.value)


def test_a_missing_config_says_so(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "nope.toml")
    assert caught.value.setting == "--config"


def test_hardware_sections_are_validated_too(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, BASE + '\n[display]\ndriver = "ssd9999"\n'))
    assert caught.value.setting == "display.driver"
