"""The personal-data screen's first sieve (metrics.platform.pii._digit_counts) counts every cell's ASCII digits from
Arrow's buffers with numpy. Whatever the cells (empty ones first, last or in a row, nulls, sliced arrays, several
chunks, CJK and full-width characters around the digits), a cell that may hold a phone or ID number (eleven digits
or more) must be kept for the next sieve: a cell dropped here is a number stored unmasked."""

from __future__ import annotations

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics.platform import pii

# Digits, letters, CJK (three UTF-8 bytes each), a full-width digit (not ASCII: the later sieve's business).
CELL = st.one_of(st.none(), st.text(alphabet=st.sampled_from("0123456789a合９ "), max_size=30))


def _ascii_digits(cell: str | None) -> int:
    return 0 if cell is None else sum(ch in "0123456789" for ch in cell)


@settings(max_examples=300, deadline=None)
@given(chunks=st.lists(st.lists(CELL, min_size=0, max_size=12), min_size=1, max_size=3),
       offset=st.integers(min_value=0, max_value=3))
def test_every_cell_with_eleven_digits_is_kept(chunks, offset):
    arrays = [pa.array(cells, pa.string()) for cells in chunks]
    arrays[0] = arrays[0].slice(min(offset, len(arrays[0])))  # a slice: offsets not starting at zero
    cells = [c for a in arrays for c in a.to_pylist()]
    counts = pii._digit_counts(pa.chunked_array(arrays, pa.string()))
    assert len(counts) == len(cells)
    for cell, count in zip(cells, counts):
        if _ascii_digits(cell) >= 11:
            assert count == _ascii_digits(cell), (cell, count)
        else:
            assert count < 11, (cell, count)  # a chunk with no candidate may answer 0 for every cell


def test_an_empty_last_cell_and_empty_cells_between_numbers():
    # Worked by hand: the counts are 11, 0, 0, 1, 12, 0 (an empty cell must not borrow the next cell's first digit).
    cells = ["13912345678", "", None, "1", "139123456789", ""]
    assert list(pii._digit_counts(pa.array(cells, pa.string()))) == [11, 0, 0, 1, 12, 0]
