package org.sdd4j.metrics;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Locale;

/**
 * The metrics of one evaluation, printable as text or JSON. Sections that need inputs that were not
 * given (ASV scores, Track 2 scores) are left out.
 *
 * @param cm countermeasure scores (Track 1 metrics), or null for an a-DCF-only Track 2 file
 * @param eer the CM EER
 * @param minDcf ASVspoof 5 minDCF
 * @param actDcf ASVspoof 5 actDCF
 * @param cllr Cllr in bits
 * @param decisions hard-decision metrics
 * @param asvRates ASV error rates measured from given ASV scores, or null
 * @param minTdcf2019 min t-DCF with the ASVspoof 2019 cost model and {@code asvRates}, or null
 * @param minTdcf2021 min t-DCF with the ASVspoof 2021 cost model and {@code asvRates}, or null
 * @param aDcf ASVspoof 5 a-DCF, or null
 * @param minTdcfAsvspoof5 ASVspoof 5 Track 2 min t-DCF (organisers' ASV error rates), or null
 * @param tEer t-EER, or null
 */
public record EvalReport(ScoreSet cm, Eer eer, Dcf minDcf, Dcf actDcf, Double cllr, Classification decisions,
        AsvErrorRates asvRates, TandemDcf minTdcf2019, TandemDcf minTdcf2021,
        ArchitectureDcf aDcf, TandemDcf minTdcfAsvspoof5, TandemEer tEer) {

    /**
     * Computes every metric the inputs allow.
     *
     * @param cm CM scores, or null
     * @param asv ASV scores for the 2019/2021 t-DCF, or null
     * @param sasv ASVspoof 5 Track 2 trials, or null
     * @param threshold the decision threshold for accuracy and F1, or null for the EER threshold
     */
    public static EvalReport of(ScoreSet cm, AsvScoreSet asv, ScoreFiles.SasvTrials sasv, Double threshold) {
        if (cm == null && sasv != null) {
            cm = sasv.cm();
        }
        Eer eer = null;
        Dcf min = null;
        Dcf act = null;
        Double cllr = null;
        Classification decisions = null;
        if (cm != null) {
            DetCurve curve = DetCurve.of(cm);
            eer = Eer.of(curve);
            min = Dcf.minimum(curve, DcfCosts.ASVSPOOF5);
            act = Dcf.actual(cm, DcfCosts.ASVSPOOF5);
            cllr = Cllr.of(cm);
            decisions = Classification.at(cm, threshold != null ? threshold : eer.threshold());
        }
        if (asv == null && sasv != null && sasv.hasCmAndAsv()) {
            asv = sasv.asv();
        }
        AsvErrorRates rates = null;
        TandemDcf t2019 = null;
        TandemDcf t2021 = null;
        if (asv != null && cm != null) {
            rates = AsvErrorRates.atEerThreshold(asv);
            t2019 = TandemDcf.minimum(cm, rates, TandemCosts.ASVSPOOF, TandemDcf.Model.ASVSPOOF2019);
            t2021 = TandemDcf.minimum(cm, rates, TandemCosts.ASVSPOOF, TandemDcf.Model.ASVSPOOF2021);
        }
        ArchitectureDcf adcf = null;
        TandemDcf t5 = null;
        TandemEer teer = null;
        if (sasv != null) {
            adcf = ArchitectureDcf.minimum(sasv.sasv(), ArchitectureDcf.Costs.ASVSPOOF5);
            if (sasv.hasCmAndAsv()) {
                t5 = TandemDcf.minimum(sasv.cm(), AsvErrorRates.ASVSPOOF5_ORGANISERS, TandemCosts.ASVSPOOF, TandemDcf.Model.ASVSPOOF2021);
                teer = TandemEer.of(sasv.asv(), sasv.cmByAsvKey());
            }
        }
        return new EvalReport(cm, eer, min, act, cllr, decisions, rates, t2019, t2021, adcf, t5, teer);
    }

    /** A human-readable table; rates as percentages. */
    public String toText() {
        StringBuilder b = new StringBuilder();
        if (cm != null) {
            b.append(String.format(Locale.ROOT, "Trials: %d bona fide, %d spoof%n", cm.bonafide().length, cm.spoof().length));
            b.append("CM (ASVspoof 5 Track 1: Pspoof 0.05, Cmiss 1, Cfa 10)\n");
            line(b, "minDCF", fmt(minDcf.value()) + "  (threshold " + fmt(minDcf.threshold()) + ")");
            line(b, "actDCF", fmt(actDcf.value()) + "  (LLR threshold " + fmt(actDcf.threshold()) + ")");
            line(b, "Cllr", fmt(cllr) + " bits");
            line(b, "EER", pct(eer.rate()) + "  (threshold " + fmt(eer.threshold()) + ")");
            b.append(String.format(Locale.ROOT, "Decisions at threshold %s (bona fide positive: score >= threshold)%n",
                    fmt(decisions.threshold())));
            line(b, "accuracy", pct(decisions.accuracy()));
            line(b, "balanced accuracy", pct(decisions.balancedAccuracy()));
            line(b, "F1", fmt(decisions.f1()) + "  (precision " + fmt(decisions.precision()) + ", recall " + fmt(decisions.recall()) + ")");
        }
        if (asvRates != null) {
            b.append(String.format(Locale.ROOT, "Tandem with ASV scores (ASV at its EER threshold %s: Pfa %s, Pmiss %s, Pfa spoof %s)%n",
                    fmt(asvRates.threshold()), pct(asvRates.falseAlarmNontarget()), pct(asvRates.missTarget()),
                    pct(asvRates.falseAlarmSpoof())));
            line(b, "min t-DCF (2019)", fmt(minTdcf2019.value()));
            line(b, "min t-DCF (2021)", fmt(minTdcf2021.value()));
        }
        if (aDcf != null) {
            b.append("SASV (ASVspoof 5 Track 2)\n");
            line(b, "a-DCF", fmt(aDcf.value()) + "  (threshold " + fmt(aDcf.threshold()) + ")");
            if (minTdcfAsvspoof5 != null) {
                line(b, "min t-DCF", fmt(minTdcfAsvspoof5.value()) + "  (organisers' ASV error rates)");
                line(b, "t-EER", pct(tEer.rate()));
            }
        }
        return b.toString();
    }

    /** The report as a JSON object; rates as fractions. */
    public String toJson() {
        ObjectMapper m = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = m.createObjectNode();
        if (cm != null) {
            root.put("bonafide", cm.bonafide().length);
            root.put("spoof", cm.spoof().length);
            root.put("min_dcf", minDcf.value());
            root.put("act_dcf", actDcf.value());
            root.put("cllr", cllr);
            root.put("eer", eer.rate());
            root.put("eer_threshold", eer.threshold());
            ObjectNode d = root.putObject("decisions");
            d.put("threshold", decisions.threshold());
            d.put("accuracy", decisions.accuracy());
            d.put("balanced_accuracy", decisions.balancedAccuracy());
            d.put("f1", decisions.f1());
            d.put("precision", decisions.precision());
            d.put("recall", decisions.recall());
            d.put("tp", decisions.truePositives());
            d.put("fp", decisions.falsePositives());
            d.put("tn", decisions.trueNegatives());
            d.put("fn", decisions.falseNegatives());
        }
        if (asvRates != null) {
            ObjectNode a = root.putObject("asv");
            a.put("threshold", asvRates.threshold());
            a.put("pfa_nontarget", asvRates.falseAlarmNontarget());
            a.put("pmiss_target", asvRates.missTarget());
            a.put("pfa_spoof", asvRates.falseAlarmSpoof());
            root.put("min_tdcf_2019", minTdcf2019.value());
            root.put("min_tdcf_2021", minTdcf2021.value());
        }
        if (aDcf != null) {
            root.put("a_dcf", aDcf.value());
            if (minTdcfAsvspoof5 != null) {
                root.put("min_tdcf", minTdcfAsvspoof5.value());
                root.put("t_eer", tEer.rate());
            }
        }
        try {
            return m.writeValueAsString(root) + System.lineSeparator();
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void line(StringBuilder b, String name, String value) {
        b.append(String.format(Locale.ROOT, "  %-18s %s%n", name, value));
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.6f", v);
    }

    private static String pct(double v) {
        return String.format(Locale.ROOT, "%.4f %%", 100 * v);
    }
}
