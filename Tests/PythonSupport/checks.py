"""The pass/fail tally of the Python test scripts: one line per check, then "N passed, M failed".

    from checks import Checks
    checks = Checks()
    checks.check(2 + 2 == 4, "arithmetic")
    sys.exit(checks.summary())   # prints "1 passed, 0 failed", returns 0
"""


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, condition, what):
        """Records and prints one check; returns the condition."""
        if condition:
            self.passed += 1
            print("ok  ", what)
        else:
            self.failed += 1
            print("FAIL", what)
        return bool(condition)

    def summary(self):
        """Prints the tally; the exit status for it (1 when anything failed)."""
        print("%d passed, %d failed" % (self.passed, self.failed))
        return 1 if self.failed else 0
