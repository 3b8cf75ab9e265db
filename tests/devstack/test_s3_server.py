"""devstack's S3 server: a real HTTP S3 endpoint that boto3 uses as it uses S3, its bucket made at
start; the demo's (with a data directory) keeps its objects across a restart, the test one none."""

from dataclasses import replace

import pytest
import requests

from devstack import s3
from devstack.process import free_port, pid_alive, read_pid
from devstack.profiles import PROFILES


@pytest.fixture
def profile(tmp_path, monkeypatch):
    """A profile of its own (port, data under tmp_path); durable like the demo's."""
    own = replace(PROFILES["test"], name="s3-check", s3_port=free_port(), durable=True)
    monkeypatch.setattr(type(own), "var", property(lambda self: tmp_path / "var"))
    yield own
    s3.stop(own)


def test_the_bucket_is_there_at_start_and_the_demo_keeps_its_objects_across_a_restart(profile):
    assert s3.start(profile) is True
    assert s3.start(profile) is False  # running already: reused
    client = s3.client(profile.s3_endpoint_url)
    client.put_object(Bucket=profile.s3_bucket, Key="media/campaigns/a.jpg", Body=b"\xff\xd8picture")
    client.put_object(Bucket=profile.s3_bucket, Key="exports/1-x/report.csv", Body=b"a,b\n")
    url = client.generate_presigned_url(
        "get_object", Params={"Bucket": profile.s3_bucket, "Key": "exports/1-x/report.csv"}, ExpiresIn=60
    )
    assert requests.get(url, timeout=10).content == b"a,b\n"  # signed like S3's, served over HTTP
    assert requests.get(url.split("?")[0], timeout=10).status_code == 403  # private without a signature
    client.delete_object(Bucket=profile.s3_bucket, Key="exports/1-x/report.csv")

    pid = read_pid(profile.var / "s3.pid")
    s3.stop(profile)
    assert not pid_alive(pid)
    assert s3.start(profile) is True

    client = s3.client(profile.s3_endpoint_url)
    keys = [item["Key"] for item in client.list_objects_v2(Bucket=profile.s3_bucket).get("Contents", [])]
    assert keys == ["media/campaigns/a.jpg"]
    assert client.get_object(Bucket=profile.s3_bucket, Key=keys[0])["Body"].read() == b"\xff\xd8picture"


def test_the_test_profile_starts_empty(profile):
    throwaway = replace(profile, durable=False)
    s3.start(throwaway)
    client = s3.client(throwaway.s3_endpoint_url)
    client.put_object(Bucket=throwaway.s3_bucket, Key="media/x.jpg", Body=b"x")
    s3.stop(throwaway)

    s3.start(throwaway)

    assert s3.client(throwaway.s3_endpoint_url).list_objects_v2(Bucket=throwaway.s3_bucket).get("KeyCount") == 0
