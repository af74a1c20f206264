"""Password strength: zxcvbn (Dropbox's estimator) with the person's own details as extra
dictionary words, so `Zhangwei2026` is weak for 张伟's colleague zhangwei@… . A password must
need about 10^8 guesses (score 3): beyond online guessing under the login throttle and costly
offline against argon2id."""

import re
import threading

from zxcvbn import zxcvbn

MIN_SCORE = 3
_MAX_CHECKED = 72  # zxcvbn refuses longer input; a long password's first 72 characters decide

# zxcvbn keeps the user-input dictionary in module state: one evaluation at a time per process.
_lock = threading.Lock()

_WARNINGS = {
    "This is a top-10 common password.": "这是最常见的十个密码之一",
    "This is a top-100 common password.": "这是最常见的一百个密码之一",
    "This is a very common password.": "这是一个非常常见的密码",
    "This is similar to a commonly used password.": "与常见密码过于相似",
    "A word by itself is easy to guess.": "单个常用词很容易被猜到",
    "Names and surnames by themselves are easy to guess.": "单独的姓名很容易被猜到",
    "Common names and surnames are easy to guess.": "常见姓名很容易被猜到",
    "Straight rows of keys are easy to guess.": "键盘上连续的一排按键很容易被猜到",
    "Short keyboard patterns are easy to guess.": "简短的键盘图案很容易被猜到",
    'Repeats like "aaa" are easy to guess.': "“aaa”这样的重复字符很容易被猜到",
    'Repeats like "abcabcabc" are only slightly harder to guess than "abc".': "“abcabcabc”这样的重复并不比“abc”难猜多少",
    'Sequences like "abc" or "6543" are easy to guess.': "“abc”“6543”这样的顺序字符很容易被猜到",
    "Recent years are easy to guess.": "近年的年份很容易被猜到",
    "Dates are often easy to guess.": "日期很容易被猜到",
}


def _user_words(user_inputs):
    words = set()
    for value in user_inputs:
        if not value:
            continue
        value = str(value).strip().lower()
        words.add(value)
        # the parts of an email address and of a name, so neither "zhangwei" nor "example" helps
        words.update(w for w in re.split(r"[@._\-+\s]+", value) if len(w) >= 3)
    return sorted(words)


def password_problem(password, user_inputs=()):
    """None if `password` is strong enough, else the Chinese reason."""
    words = _user_words(user_inputs)
    with _lock:
        result = zxcvbn(password[:_MAX_CHECKED], user_inputs=words)
    if result["score"] >= MIN_SCORE:
        return None
    if any(m.get("dictionary_name") == "user_inputs" for m in result["sequence"]):
        reason = "包含了您的邮箱、姓名或单位名称"
    else:
        reason = _WARNINGS.get(result["feedback"]["warning"]) or "过于简单，容易被猜到"
    return f"密码强度不足：{reason}。请使用更长、不常见的组合，例如几个不相关的词加数字"
