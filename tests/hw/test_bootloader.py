"""GRUB's gptprio.next through every transition of EVE's A/B update."""

from hypothesis import given
from hypothesis import strategies as st

from evesim.hw import board, bootloader
from evesim.hw.disk import Attr, Disk
from evesim.hw.image import EveImage

V1 = EveImage.make("14.5.1", 200_000_000)
V2 = EveImage.make("14.5.2", 200_000_000)


def fresh() -> Disk:
    return Disk(board.get("generic-x86"), b"boot-test", V1)


def boot(d: Disk) -> bootloader.BootChoice:
    """GRUB runs and its table write completes."""
    choice = bootloader.gptprio_next(d)
    assert choice is not None
    if choice.write is not None:
        d.apply(choice.write)
    return choice


def set_state(d: Disk, label: str, state: str) -> None:
    d.apply(d.plan_state_change(label, state))


def installed(d: Disk) -> Disk:
    """baseosmgr wrote V2 into IMGB and marked it updating: [A:active, B:updating]."""
    d.begin_image_write("IMGB", V2)
    d.finish_image_write("IMGB")
    set_state(d, "IMGB", "updating")
    return d


def test_fresh_install_boots_active_without_writing() -> None:
    choice = bootloader.gptprio_next(fresh())
    assert choice == bootloader.BootChoice("IMGA", V1, tries_decremented=False, write=None)


def test_updating_beats_active_and_becomes_inprogress() -> None:
    d = installed(fresh())
    choice = boot(d)
    assert (choice.label, choice.image, choice.tries_decremented) == ("IMGB", V2, True)
    assert d.partition_state("IMGB") == "inprogress" and d.partition_state("IMGA") == "active"


def test_any_reboot_while_inprogress_falls_back_to_active() -> None:
    d = installed(fresh())
    boot(d)
    choice = boot(d)
    assert (choice.label, choice.image, choice.write) == ("IMGA", V1, None)
    assert d.partition_state("IMGB") == "inprogress"


def test_commit_makes_the_new_image_the_one_that_boots() -> None:
    d = installed(fresh())
    boot(d)
    set_state(d, "IMGB", "active")
    set_state(d, "IMGA", "unused")
    for _ in range(3):
        choice = boot(d)
        assert (choice.label, choice.image, choice.write) == ("IMGB", V2, None)


def test_retry_update_tests_the_failed_image_again() -> None:
    d = installed(fresh())
    boot(d)
    boot(d)  # fallback to A, B inprogress = FAILED
    set_state(d, "IMGB", "updating")
    assert boot(d).label == "IMGB"
    assert d.partition_state("IMGB") == "inprogress"


def test_force_fallback_boots_the_previous_image_once() -> None:
    d = installed(fresh())
    boot(d)
    set_state(d, "IMGB", "active")
    set_state(d, "IMGA", "unused")
    set_state(d, "IMGA", "updating")
    assert boot(d).label == "IMGA"
    assert boot(d).label == "IMGB"  # IMGA inprogress now, not eligible


def test_power_cut_before_the_decrement_write_tries_again() -> None:
    d = installed(fresh())
    choice = bootloader.gptprio_next(d)
    assert choice is not None and choice.write is not None  # the cut lands before the write
    again = bootloader.gptprio_next(d)
    assert again == choice


def test_torn_decrement_write() -> None:
    d = installed(fresh())
    choice = bootloader.gptprio_next(d)
    assert choice is not None and choice.write is not None
    d.apply(choice.write, torn="primary")  # primary torn, the old backup still says updating
    assert boot(d).label == "IMGB"
    e = installed(fresh())
    choice = bootloader.gptprio_next(e)
    assert choice is not None and choice.write is not None
    e.apply(choice.write, torn="backup")  # primary complete: inprogress is on disk
    assert boot(e).label == "IMGA"


def test_nothing_eligible_is_bricked() -> None:
    d = fresh()
    set_state(d, "IMGA", "unused")
    assert bootloader.gptprio_next(d) is None


def test_grub_boots_an_incomplete_image_and_reports_it() -> None:
    d = fresh()
    d.begin_image_write("IMGB", V2)
    set_state(d, "IMGB", "updating")
    choice = boot(d)
    assert choice.label == "IMGB" and choice.image is None


def test_ties_go_to_the_first_partition_in_the_table() -> None:
    d = fresh()
    set_state(d, "IMGB", "active")
    assert boot(d).label == "IMGA"


attrs = st.builds(Attr, st.integers(0, 15), st.integers(0, 15), st.booleans())


@given(attrs, attrs)
def test_choice_rule_against_a_reference(a: Attr, b: Attr) -> None:
    d = fresh()
    d.apply(d.plan_attr_change("IMGA", a))
    d.apply(d.plan_attr_change("IMGB", b))
    eligible = [(lbl, x) for lbl, x in (("IMGA", a), ("IMGB", b)) if x.priority > 0 and (x.tries > 0 or x.successful)]
    choice = bootloader.gptprio_next(d)
    if not eligible:
        assert choice is None
        return
    label, attr = max(eligible, key=lambda item: (item[1].priority, item[0] == "IMGA"))
    assert choice is not None and choice.label == label
    assert choice.tries_decremented == (attr.tries > 0) == (choice.write is not None)
    if choice.write is not None:
        d.apply(choice.write)
        assert d.attributes(label) == Attr(attr.priority, attr.tries - 1, attr.successful)
