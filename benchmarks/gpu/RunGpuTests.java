import java.io.PrintWriter;

import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectPackage;
import static org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder.request;

/**
 * Runs the JUnit tests of the packages (or classes) named on the command line, on a machine with no Maven (the GPU
 * machine): prints each test with its outcome and the summary; exit code 1 on any failure or skipped test.
 */
public final class RunGpuTests {
    public static void main(String[] args) {
        var builder = request();
        for (String p : args) {
            // A name whose last part is capitalised is a test class, anything else a package.
            boolean isClass = Character.isUpperCase(p.charAt(p.lastIndexOf('.') + 1));
            builder.selectors(isClass ? selectClass(p) : selectPackage(p));
        }
        // Checks of the build machine (nvcc's fatbin, the g++ emulator) would only be skipped here; a skip fails the run.
        builder.filters(org.junit.platform.launcher.TagFilter.excludeTags("host-build"));
        LauncherDiscoveryRequest req = builder.build();
        Launcher launcher = LauncherFactory.create();
        SummaryGeneratingListener summary = new SummaryGeneratingListener();
        launcher.execute(req, summary, new org.junit.platform.launcher.TestExecutionListener() {
            @Override
            public void executionSkipped(org.junit.platform.launcher.TestIdentifier t, String reason) {
                System.out.println("SKIPPED " + t.getDisplayName() + ": " + reason);
            }

            @Override
            public void executionFinished(org.junit.platform.launcher.TestIdentifier t,
                                          org.junit.platform.engine.TestExecutionResult r) {
                if (t.isTest()) {
                    System.out.println(r.getStatus() + " " + t.getDisplayName()
                            + r.getThrowable().map(e -> ": " + e).orElse(""));
                }
            }
        });
        TestExecutionSummary s = summary.getSummary();
        s.printTo(new PrintWriter(System.out));
        s.printFailuresTo(new PrintWriter(System.out), 30);
        // On the GPU machine a skipped (aborted) GPU test means the GPU was not usable: that is a failed run.
        System.exit(s.getTotalFailureCount() == 0 && s.getTestsAbortedCount() == 0 && s.getTestsFoundCount() > 0 ? 0 : 1);
    }
}
