"""Answer keys by meaning (issue 9: 2 was Partly met on most items but Not met on yes/no items)."""

from audit_app.core.checklist import load_checklist
from audit_app.paths import checklists_dir


def test_a_key_chooses_the_same_meaning_on_every_scale():
    checklist = load_checklist(checklists_dir() / "neighbourhood-crime.yaml")
    assert checklist.items["A1"].scale == "MPN" and checklist.items["B1"].scale == "YN"
    chosen = {(item, key): getattr(checklist.answer_for_key(item, key), "code", None)
              for item in ("A1", "B1") for key in "12345mpnraX"}
    assert chosen == {
        ("A1", "1"): "M", ("A1", "2"): "P", ("A1", "3"): "N", ("A1", "4"): "NR", ("A1", "5"): "NA",
        ("A1", "m"): "M", ("A1", "p"): "P", ("A1", "n"): "N", ("A1", "r"): "NR", ("A1", "a"): "NA", ("A1", "X"): None,
        ("B1", "1"): "M", ("B1", "2"): None, ("B1", "3"): "N", ("B1", "4"): "NR", ("B1", "5"): "NA",
        ("B1", "m"): "M", ("B1", "p"): None, ("B1", "n"): "N", ("B1", "r"): "NR", ("B1", "a"): "NA", ("B1", "X"): None,
    }
    assert checklist.meaning_of_key("2") == "partly_met" and checklist.meaning_of_key("P") == "partly_met"
    assert checklist.meaning_of_key("x") is None
