#!/usr/bin/env python3
"""Writes the metric fixtures under engine/src/test/resources/metrics/: generated score sets in the
ASVspoof file formats and the numbers the OFFICIAL evaluation code computes on them.

The official code is not part of sdd4j and is never committed; pass the paths of local checkouts:
  --asvspoof5 CHECKOUT/evaluation-package   (github.com/asvspoof-challenge/asvspoof5)
  --asvspoof2021 CHECKOUT/eval-package      (github.com/asvspoof-challenge/2021)
It needs numpy and pandas (the ASVspoof 5 package reads the TSV files with pandas).

Each case folder holds:
  cm_scores.tsv, cm_keys.tsv       ASVspoof 5 Track 1 (filename<TAB>cm-score / filename<TAB>cm-label)
  sasv_scores.tsv, sasv_keys.tsv   ASVspoof 5 Track 2 (spk filename cm-score asv-score sasv-score /
                                   spk filename cm-label asv-label)
  cm_scores_2019.txt, cm_protocol_2019.txt, asv_scores_2019.txt   ASVspoof 2019 LA formats
                                   (UTT ATTACK KEY SCORE / SPK UTT - ATTACK KEY / SOURCE KEY SCORE),
                                   small cases only
  expected.json                    the official numbers; accuracy, balanced accuracy and F1 are not
                                   in the official packages and are computed here with numpy.
"""
import argparse
import json
import os
import sys

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
OUT = os.path.join(ROOT, 'engine', 'src', 'test', 'resources', 'metrics')


def make_case(rng, n_tar, n_non, n_spf, cm_scale=1.0, integer=False, mixture=False):
    """One SASV trial list: target and nontarget trials are bona fide, spoof trials are spoofed."""
    def cm_bona(n):
        if mixture:
            pick = rng.random(n) < 0.3
            return np.where(pick, rng.normal(0.5, 0.8, n), rng.normal(3.0, 1.2, n))
        return rng.normal(2.0, 1.5, n)

    def cm_spoof(n):
        if mixture:
            pick = rng.random(n) < 0.2
            return np.where(pick, rng.normal(2.5, 1.0, n), rng.normal(-2.5, 1.5, n))
        return rng.normal(-2.0, 2.0, n)

    labels = ['target'] * n_tar + ['nontarget'] * n_non + ['spoof'] * n_spf
    cm = np.concatenate([cm_bona(n_tar), cm_bona(n_non), cm_spoof(n_spf)]) * cm_scale
    asv = np.concatenate([rng.normal(3.0, 1.0, n_tar), rng.normal(-2.0, 1.0, n_non), rng.normal(1.0, 1.5, n_spf)])
    if integer:
        # Few distinct values: every threshold is a tie between classes.
        cm = np.round(cm)
        asv = np.round(asv)
    else:
        # Six decimals keep the files small; both sides parse the same text.
        cm = np.round(cm, 6)
        asv = np.round(asv, 6)
    sasv = np.round(cm + asv, 6)
    order = rng.permutation(len(labels))
    trials = []
    for k, i in enumerate(order):
        trials.append({'spk': 'S_%03d' % (i % 17), 'utt': 'E_%06d' % (k + 1), 'asv': labels[i],
                       'cm_label': 'spoof' if labels[i] == 'spoof' else 'bonafide',
                       'attack': 'A%02d' % (16 + i % 4) if labels[i] == 'spoof' else '-',
                       'cm': float(cm[i]), 'asv_score': float(asv[i]), 'sasv': float(sasv[i])})
    return trials


def write_files(folder, trials, legacy_formats):
    os.makedirs(folder, exist_ok=True)

    def write(name, header, rows):
        with open(os.path.join(folder, name), 'w') as f:
            if header:
                f.write(header + '\n')
            for r in rows:
                f.write(r + '\n')

    write('cm_scores.tsv', 'filename\tcm-score', ['%s\t%r' % (t['utt'], t['cm']) for t in trials])
    write('cm_keys.tsv', 'filename\tcm-label', ['%s\t%s' % (t['utt'], t['cm_label']) for t in trials])
    write('sasv_scores.tsv', 'spk\tfilename\tcm-score\tasv-score\tsasv-score',
          ['%s\t%s\t%r\t%r\t%r' % (t['spk'], t['utt'], t['cm'], t['asv_score'], t['sasv']) for t in trials])
    write('sasv_keys.tsv', 'spk\tfilename\tcm-label\tasv-label',
          ['%s\t%s\t%s\t%s' % (t['spk'], t['utt'], t['cm_label'], t['asv']) for t in trials])
    if legacy_formats:
        write('cm_scores_2019.txt', None,
              ['%s %s %s %r' % (t['utt'], t['attack'], t['cm_label'], t['cm']) for t in trials])
        write('cm_protocol_2019.txt', None,
              ['%s %s - %s %s' % (t['spk'], t['utt'], t['attack'], t['cm_label']) for t in trials])
        write('asv_scores_2019.txt', None,
              ['%s %s %r' % ('bonafide' if t['asv'] != 'spoof' else t['attack'], t['asv'], t['asv_score'])
               for t in trials])


def classification(bona, spoof, threshold):
    """Bona fide is the positive class; a score >= threshold is a bona fide decision."""
    tp = int(np.sum(bona >= threshold))
    fn = int(bona.size - tp)
    tn = int(np.sum(spoof < threshold))
    fp = int(spoof.size - tn)
    accuracy = (tp + tn) / (bona.size + spoof.size)
    balanced = 0.5 * (tp / bona.size + tn / spoof.size)
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn > 0 else 0.0
    return {'threshold': float(threshold), 'accuracy': accuracy, 'balanced_accuracy': balanced, 'f1': f1,
            'tp': tp, 'fp': fp, 'tn': tn, 'fn': fn}


def official_numbers(folder, asvspoof5, eval2021):
    sys.path.insert(0, asvspoof5)
    import calculate_metrics
    import calculate_modules
    import util
    sys.path.insert(0, eval2021)
    import eval_metrics as em2021

    # Track 1 through the official loader and metric function.
    cm_scores, cm_keys = util.load_cm_scores_keys(os.path.join(folder, 'cm_scores.tsv'),
                                                  os.path.join(folder, 'cm_keys.tsv'))
    min_dcf, eer, cllr, act_dcf = calculate_metrics.calculate_minDCF_EER_CLLR_actDCF(
        cm_scores, cm_keys, output_file=None, printout=False)
    bona = cm_scores[cm_keys == 'bonafide'].astype(np.float64)
    spoof = cm_scores[cm_keys == 'spoof'].astype(np.float64)
    _, _, _, _, eer_threshold = calculate_modules.compute_eer(bona, spoof)

    # Track 2 as the official evaluation.py runs it: min t-DCF uses the organisers' pooled ASV error
    # rates. (Its asv_scores_org path passes Pmiss_spoof where Pfa_spoof belongs; sdd4j does not copy
    # that, and checks the ASV-score-driven t-DCF against the 2021 code below instead.)
    cm_s, asv_s, sasv_s, cm_k, asv_k = util.load_sasv_scores_keys(os.path.join(folder, 'sasv_scores.tsv'),
                                                                  os.path.join(folder, 'sasv_keys.tsv'))
    adcf, min_tdcf5, teer = calculate_metrics.calculate_aDCF_tdcf_tEER(
        cm_s, asv_s, sasv_s, cm_k, asv_k, output_file=None, printout=False)

    # ASVspoof 2019 (legacy t-DCF) and 2021 (revised t-DCF) with the same ASV scores.
    tar = asv_s[asv_k == 'target'].astype(np.float64)
    non = asv_s[asv_k == 'nontarget'].astype(np.float64)
    spf = asv_s[asv_k == 'spoof'].astype(np.float64)
    _, _, _, _, asv_threshold = calculate_modules.compute_eer(tar, non)
    pfa, pmiss, pmiss_spoof, pfa_spoof = calculate_modules.obtain_asv_error_rates(tar, non, spf, asv_threshold)
    p_spoof = 0.05
    legacy_model = {'Pspoof': p_spoof, 'Ptar': (1 - p_spoof) * 0.99, 'Pnon': (1 - p_spoof) * 0.01,
                    'Cmiss_asv': 1, 'Cfa_asv': 10, 'Cmiss_cm': 1, 'Cfa_cm': 10}
    tdcf_2019, _ = calculate_modules.compute_tDCF_legacy(bona, spoof, pfa, pmiss, pmiss_spoof, legacy_model, False)
    _, asv_threshold_2021 = em2021.compute_eer(tar, non)
    pfa21, pmiss21, _, pfa_spoof21 = em2021.obtain_asv_error_rates(tar, non, spf, asv_threshold_2021)
    revised_model = {'Pspoof': p_spoof, 'Ptar': (1 - p_spoof) * 0.99, 'Pnon': (1 - p_spoof) * 0.01,
                     'Cmiss': 1, 'Cfa': 10, 'Cfa_spoof': 10}
    tdcf_2021, _ = em2021.compute_tDCF(bona, spoof, pfa21, pmiss21, pfa_spoof21, revised_model, False)

    return {
        'counts': {'bonafide': int(bona.size), 'spoof': int(spoof.size), 'target': int(tar.size),
                   'nontarget': int(non.size), 'asv_spoof': int(spf.size)},
        'eer': float(eer), 'eer_threshold': float(eer_threshold), 'min_dcf': float(min_dcf),
        'act_dcf': float(act_dcf), 'cllr': float(cllr),
        'a_dcf': float(adcf), 'min_tdcf_asvspoof5': float(min_tdcf5), 't_eer_percent': float(teer),
        'asv_threshold': float(asv_threshold), 'asv_pfa_nontarget': float(pfa), 'asv_pmiss_target': float(pmiss),
        'asv_pmiss_spoof': float(pmiss_spoof), 'asv_pfa_spoof': float(pfa_spoof),
        'min_tdcf_2019': float(np.min(tdcf_2019)), 'min_tdcf_2021': float(np.min(tdcf_2021)),
        'classification_at_eer_threshold': classification(bona, spoof, eer_threshold),
        'classification_at_zero': classification(bona, spoof, 0.0),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--asvspoof5', required=True, help='asvspoof5 checkout: its evaluation-package folder')
    parser.add_argument('--asvspoof2021', required=True, help='2021 checkout: its eval-package folder')
    args = parser.parse_args()
    rng = np.random.default_rng(20240611)
    cases = {
        'gaussian': (make_case(rng, 250, 150, 600), True),
        'ties': (make_case(rng, 60, 40, 100, integer=True), True),
        'small': (make_case(rng, 4, 3, 7), True),
        'scaled': (make_case(rng, 120, 80, 300, cm_scale=4.0), True),
        # Over 3000 trials: the official t-EER switches to its coarse-then-fine search.
        'mixture_large': (make_case(rng, 1700, 300, 1100, mixture=True), False),
    }
    for name, (trials, legacy) in cases.items():
        folder = os.path.join(OUT, name)
        write_files(folder, trials, legacy)
        expected = official_numbers(folder, args.asvspoof5, args.asvspoof2021)
        with open(os.path.join(folder, 'expected.json'), 'w') as f:
            json.dump(expected, f, indent=1)
            f.write('\n')
        print(name, json.dumps({k: v for k, v in expected.items() if not isinstance(v, dict)}))


if __name__ == '__main__':
    main()
