"""Made-up GSM8K rows (five shots and one item) and the prompt lm-eval builds from them; shared
by the GSM8K and GSM8K maj@8 tests."""

from __future__ import annotations


def tiny_rows() -> list[dict[str, str]]:
    shots = [{"question": f"What is {n} + {n}?", "answer": f"{n} + {n} = <<{n}+{n}={2 * n}>>"
              f"{2 * n}\n#### {2 * n}"} for n in range(1, 6)]
    item = {"question": "How many cents in $12.50?", "answer": "12.5*100=1250\n#### 1,250"}
    return [*shots, item]


GOLDEN_PROMPT = (
    "Question: What is 1 + 1?\nAnswer: 1 + 1 = <<1+1=2>>2\n#### 2\n\n"
    "Question: What is 2 + 2?\nAnswer: 2 + 2 = <<2+2=4>>4\n#### 4\n\n"
    "Question: What is 3 + 3?\nAnswer: 3 + 3 = <<3+3=6>>6\n#### 6\n\n"
    "Question: What is 4 + 4?\nAnswer: 4 + 4 = <<4+4=8>>8\n#### 8\n\n"
    "Question: What is 5 + 5?\nAnswer: 5 + 5 = <<5+5=10>>10\n#### 10\n\n"
    "Question: How many cents in $12.50?\nAnswer:"
)
