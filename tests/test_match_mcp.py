"""The MCP ``match_patient`` tool end to end with the SDK's own client, over stdio (the real
console script) and streamable HTTP (a real server), on the store of tests/test_mcp.py."""

from __future__ import annotations

from typing import Any

from mcp import Client

from tests.test_mcp import Session, _text, db, http_url, session  # noqa: F401  (fixtures)

POSSIBLE, EXCLUDED = "NCT05918692", "NCT04789655"
NOTE = (
    "A 45-year-old man with relapsed acute myeloid leukemia. ECOG 1. Platelets 80,000/uL. "
    "He denies HIV infection. Prior chemotherapy with cytarabine."
)


def test_match_patient_from_a_note_and_with_answers(session: Session) -> None:  # noqa: F811
    async def script(client: Client) -> Any:
        listed = {t.name: t for t in (await client.list_tools()).tools}
        ranked = await client.call_tool("match_patient", {"note": NOTE, "limit": 3})
        given = await client.call_tool(
            "match_patient",
            {"note": NOTE, "trials": [POSSIBLE], "answers": {"lab:wbc": 12}},
        )
        return listed["match_patient"], ranked, given

    tool, ranked, given = session(script)
    properties = tool.input_schema["properties"]
    assert {"note", "patient", "trials", "near", "radius_km", "answers", "limit"} <= set(properties)
    assert tool.annotations is not None and tool.annotations.read_only_hint
    assert not ranked.is_error, _text(ranked)
    report = ranked.structured_content
    assert 0 < len(report["trials"]) <= 3 < report["candidates"]
    assert report["questions"][0]["decides"] >= report["questions"][-1]["decides"]
    assert any(
        e["source"] and e["source"]["kind"] == "note" and e["source"]["ref"].startswith("sentence")
        for t in report["trials"]
        for c in t["criteria"]
        for e in c["evidence"]
    )
    (trial,) = given.structured_content["trials"]
    (wbc,) = [c for c in trial["criteria"] if "WBC count" in c["text"]]
    assert wbc["verdict"] == "NOT_MET"
    assert wbc["evidence"][0]["source"]["kind"] == "answer"


def test_match_patient_structured_and_its_errors(session: Session) -> None:  # noqa: F811
    patient = {
        "age": 45,
        "sex": "male",
        "conditions": ["relapsed acute myeloid leukemia"],
        "therapies": [{"name": "cytarabine", "status": "active"}],  # on it now
    }

    async def script(client: Client) -> Any:
        judged = await client.call_tool(
            "match_patient", {"patient": patient, "trials": [POSSIBLE, EXCLUDED]}
        )
        bad_unit = await client.call_tool(
            "match_patient", {"patient": {"labs": {"platelets": "80 furlongs"}}}
        )
        nothing = await client.call_tool("match_patient", {})
        unknown = await client.call_tool("match_patient", {"note": NOTE, "trials": ["NCT00000000"]})
        return judged, bad_unit, nothing, unknown

    judged, bad_unit, nothing, unknown = session(script)
    verdicts = {t["nct_id"]: t["verdict"] for t in judged.structured_content["trials"]}
    assert verdicts[EXCLUDED] == "INELIGIBLE"
    assert verdicts[POSSIBLE] in ("POSSIBLY_ELIGIBLE", "ELIGIBLE")
    assert bad_unit.is_error and "'patient.labs.platelets.unit'" in _text(bad_unit)
    assert nothing.is_error and "no patient given" in _text(nothing)
    assert unknown.is_error and "No study NCT00000000" in _text(unknown)
