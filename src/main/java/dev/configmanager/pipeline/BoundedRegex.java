package dev.configmanager.pipeline;

import com.networknt.schema.regex.RegularExpression;
import com.networknt.schema.regex.RegularExpressionFactory;

import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * Regular expressions from schemas ({@code pattern}, {@code patternProperties}) with a bound on their work. A pattern
 * that backtracks catastrophically ({@code ^(a+)+$} against thirty {@code a}s and a {@code !}) would run for hours on
 * one short value; Java's matcher cannot be interrupted, but it reads its input only through {@code charAt}, so the
 * input is handed to it through a view that counts those reads and stops the match when a validation's budget is
 * spent. Counting reads, not time, makes the bound the same on every machine and load.
 */
final class BoundedRegex implements RegularExpressionFactory {

    /** Character reads one validation may spend on regular expressions: a few milliseconds of matching. */
    static final long STEPS_PER_VALIDATION = 2_000_000;

    private static final ThreadLocal<long[]> BUDGET = new ThreadLocal<>();

    /** Thrown from inside a match whose validation spent its budget. */
    static final class BudgetSpent extends RuntimeException {
        BudgetSpent() {
            super(
                    "the schema's regular expressions took more than " + STEPS_PER_VALIDATION + " steps",
                    null,
                    false,
                    false);
        }
    }

    /**
     * Runs {@code validation} with one budget for every regular expression it evaluates on this thread.
     *
     * @throws BudgetSpent when the budget ran out (the validator may have taken the stopped match for a mismatch)
     */
    static <T> T within(final Supplier<T> validation) {
        final long[] previous = BUDGET.get();
        final long[] budget = {STEPS_PER_VALIDATION};
        BUDGET.set(budget);
        try {
            final T result = validation.get();
            if (budget[0] < 0) {
                throw new BudgetSpent();
            }
            return result;
        } finally {
            BUDGET.set(previous);
        }
    }

    @Override
    public RegularExpression getRegularExpression(final String regex) {
        final Pattern pattern = Pattern.compile(regex);
        return value -> pattern.matcher(new Counted(value, budget())).find();
    }

    /** This thread's budget; outside {@link #within} one budget per match (a caller forgot: still bounded). */
    private static long[] budget() {
        final long[] budget = BUDGET.get();
        return budget != null ? budget : new long[] {STEPS_PER_VALIDATION};
    }

    /** Whether {@code pattern} finds a match in {@code text} within {@code steps} character reads. */
    static boolean find(final Pattern pattern, final String text, final long steps) {
        return pattern.matcher(new Counted(text, new long[] {steps})).find();
    }

    /** A string whose reads are counted against a budget. */
    private static final class Counted implements CharSequence {
        private final String text;
        private final long[] budget;

        Counted(final String text, final long[] budget) {
            this.text = text;
            this.budget = budget;
        }

        @Override
        public char charAt(final int index) {
            if (--budget[0] < 0) {
                throw new BudgetSpent();
            }
            return text.charAt(index);
        }

        @Override
        public int length() {
            return text.length();
        }

        @Override
        public CharSequence subSequence(final int start, final int end) {
            return new Counted(text.substring(start, end), budget);
        }

        @Override
        public String toString() {
            return text;
        }
    }
}
