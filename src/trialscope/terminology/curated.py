# ruff: noqa: E501  (a data table: one line per concept reads better than wrapped lines)
"""The built-in vocabulary: common trial abbreviations and everyday names of frequent
conditions, written by hand.

It is added on top of MeSH and the Disease Ontology (neither has "NSCLC", "CRLM" or "heart
attack" as a term) and is the whole vocabulary when no vocabulary folder is configured.
Terms follow ``Lexicon``-free plain syntax: ``;``-separated phrases; a leading ``=`` makes a
term match only as written, upper case (MS, PE, MI: ordinary words or other meanings in
lower case). The MeSH UIs and names are checked against MeSH 2024 by the tests.
"""

from __future__ import annotations

#: one line per MeSH descriptor: UI | MeSH name | parent UI used when MeSH itself is absent | terms
MESH_TABLE = """
D002289 | Carcinoma, Non-Small-Cell Lung | D008175 | NSCLC; non-small cell lung cancer; non-small-cell lung carcinoma; non small cell lung cancer; NSCLC adenocarcinoma
D055752 | Small Cell Lung Carcinoma | D008175 | SCLC; small cell lung cancer; small-cell lung cancer; ES-SCLC; LS-SCLC
D008175 | Lung Neoplasms | D009369 | lung cancer; lung carcinoma; lung tumor; pulmonary cancer
D000077192 | Adenocarcinoma of Lung | D002289 | LUAD; lung adenocarcinoma; adenocarcinoma of the lung
D006528 | Carcinoma, Hepatocellular | D008113 | HCC; hepatocellular carcinoma; hepatoma
D008113 | Liver Neoplasms | D009369 | liver cancer; hepatic cancer; liver tumor
D015179 | Colorectal Neoplasms | D009369 | CRC; mCRC; colorectal cancer; colorectal carcinoma; colorectal adenocarcinoma; colorectal tumor; bowel cancer
D003110 | Colonic Neoplasms | D015179 | colon cancer; colon carcinoma; colon adenocarcinoma; colonic cancer; colonic adenocarcinoma
D012004 | Rectal Neoplasms | D015179 | rectal cancer; rectal carcinoma; rectal adenocarcinoma; LARC
D009362 | Neoplasm Metastasis | D009369 | metastasis; metastatic disease; metastatic cancer; metastases
D021441 | Carcinoma, Pancreatic Ductal | D010190 | PDAC; pancreatic ductal adenocarcinoma; ductal adenocarcinoma of the pancreas
D010190 | Pancreatic Neoplasms | D009369 | pancreatic cancer; pancreatic carcinoma; pancreatic adenocarcinoma; cancer of the pancreas
D064726 | Triple Negative Breast Neoplasms | D001943 | TNBC; triple negative breast cancer; triple-negative breast carcinoma
D001943 | Breast Neoplasms | D009369 | breast cancer; breast carcinoma; mammary carcinoma; MBC; metastatic breast cancer
D015470 | Leukemia, Myeloid, Acute | D007938 | AML; acute myeloid leukemia; acute myelogenous leukemia; acute myeloid leukaemia
D054198 | Precursor Cell Lymphoblastic Leukemia-Lymphoma | D007938 | =ALL; acute lymphoblastic leukemia; acute lymphocytic leukemia; B-ALL; T-ALL
D015451 | Leukemia, Lymphocytic, Chronic, B-Cell | D007938 | CLL; chronic lymphocytic leukemia; SLL; small lymphocytic lymphoma
D015464 | Leukemia, Myelogenous, Chronic, BCR-ABL Positive | D007938 | CML; chronic myeloid leukemia; chronic myelogenous leukemia
D007938 | Leukemia | D009369 | leukemia; leukaemia
D009190 | Myelodysplastic Syndromes | D009369 | MDS; myelodysplastic syndrome; myelodysplasia
D009101 | Multiple Myeloma | D009369 | =MM; multiple myeloma; myeloma; plasma cell myeloma; RRMM
D016403 | Lymphoma, Large B-Cell, Diffuse | D008228 | DLBCL; diffuse large B-cell lymphoma; diffuse large B cell lymphoma
D008228 | Lymphoma, Non-Hodgkin | D008223 | NHL; non-Hodgkin lymphoma; non-Hodgkin's lymphoma
D008224 | Lymphoma, Follicular | D008228 | =FL; follicular lymphoma
D020522 | Lymphoma, Mantle-Cell | D008228 | =MCL; mantle cell lymphoma
D006689 | Hodgkin Disease | D008223 | =HL; Hodgkin lymphoma; Hodgkin's lymphoma; Hodgkin's disease; cHL
D008223 | Lymphoma | D009369 | lymphoma
D005909 | Glioblastoma | D005910 | GBM; glioblastoma; glioblastoma multiforme
D005910 | Glioma | D001932 | glioma; HGG; LGG
D001932 | Brain Neoplasms | D009369 | brain tumor; brain cancer
D002292 | Carcinoma, Renal Cell | D007680 | RCC; ccRCC; mRCC; renal cell carcinoma; renal cell cancer; clear cell renal cell carcinoma
D007680 | Kidney Neoplasms | D009369 | kidney cancer; renal cancer
D000077195 | Squamous Cell Carcinoma of Head and Neck | D006258 | HNSCC; SCCHN; head and neck squamous cell carcinoma
D006258 | Head and Neck Neoplasms | D009369 | head and neck cancer; HNC
D000077277 | Esophageal Squamous Cell Carcinoma | D004938 | ESCC; esophageal squamous cell carcinoma; oesophageal squamous cell carcinoma
D004938 | Esophageal Neoplasms | D009369 | esophageal cancer; oesophageal cancer
D013274 | Stomach Neoplasms | D009369 | gastric cancer; stomach cancer; gastric adenocarcinoma; gastric carcinoma
D064129 | Prostatic Neoplasms, Castration-Resistant | D011471 | CRPC; mCRPC; castration-resistant prostate cancer; castrate-resistant prostate cancer
D011471 | Prostatic Neoplasms | D009369 | prostate cancer; prostate carcinoma; prostate adenocarcinoma; PCa; mHSPC; mCSPC
D002295 | Carcinoma, Transitional Cell | D009369 | urothelial carcinoma; urothelial cancer; transitional cell carcinoma; mUC
D001749 | Urinary Bladder Neoplasms | D009369 | bladder cancer; MIBC; NMIBC; muscle-invasive bladder cancer; non-muscle invasive bladder cancer
D010051 | Ovarian Neoplasms | D009369 | ovarian cancer; ovarian carcinoma; EOC; epithelial ovarian cancer
D002583 | Uterine Cervical Neoplasms | D009369 | cervical cancer; cervical carcinoma; cancer of the cervix
D016889 | Endometrial Neoplasms | D009369 | endometrial cancer; endometrial carcinoma; uterine cancer
D008545 | Melanoma | D009369 | melanoma; malignant melanoma
D000086002 | Mesothelioma, Malignant | D009369 | MPM; malignant pleural mesothelioma; mesothelioma
D018281 | Cholangiocarcinoma | D009369 | cholangiocarcinoma; CCA; biliary tract cancer; BTC
D046152 | Gastrointestinal Stromal Tumors | D009369 | GIST; gastrointestinal stromal tumor
D018358 | Neuroendocrine Tumors | D009369 | =NET; =NETs; neuroendocrine tumor; neuroendocrine neoplasm; NEN
D009369 | Neoplasms | - | cancer; malignancy; malignant tumor; malignant neoplasm; neoplasm; tumor; carcinoma; solid tumor
D009203 | Myocardial Infarction | D017202 | =MI; =AMI; heart attack; myocardial infarction; acute myocardial infarction; myocardial infarct
D000072657 | ST Elevation Myocardial Infarction | D009203 | STEMI; ST-elevation myocardial infarction; ST elevation MI
D000072658 | Non-ST Elevated Myocardial Infarction | D009203 | NSTEMI; non-ST-elevation myocardial infarction; non ST elevation MI
D054058 | Acute Coronary Syndrome | D017202 | =ACS; acute coronary syndrome
D003324 | Coronary Artery Disease | D017202 | =CAD; coronary artery disease; =CHD; coronary heart disease; ischemic heart disease; IHD
D017202 | Myocardial Ischemia | D006331 | myocardial ischemia; myocardial ischaemia
D006333 | Heart Failure | D006331 | CHF; =HF; congestive heart failure; heart failure; cardiac failure
D054143 | Heart Failure, Systolic | D006333 | HFrEF; heart failure with reduced ejection fraction; systolic heart failure
D054144 | Heart Failure, Diastolic | D006333 | HFpEF; heart failure with preserved ejection fraction; diastolic heart failure
D001281 | Atrial Fibrillation | D001145 | =AF; AFib; =AFIB; atrial fibrillation; a-fib
D001145 | Arrhythmias, Cardiac | D006331 | arrhythmia; cardiac arrhythmia
D006331 | Heart Diseases | - | heart disease; cardiac disease; cardiovascular disease
D006973 | Hypertension | - | HTN; hypertension; high blood pressure; arterial hypertension
D000081029 | Pulmonary Arterial Hypertension | D006973 | PAH; pulmonary arterial hypertension
D020246 | Venous Thrombosis | - | DVT; deep vein thrombosis; deep venous thrombosis; venous thrombosis
D011655 | Pulmonary Embolism | - | =PE; pulmonary embolism; pulmonary embolus
D054556 | Venous Thromboembolism | - | VTE; venous thromboembolism
D058729 | Peripheral Arterial Disease | - | =PAD; peripheral artery disease; peripheral arterial disease
D020521 | Stroke | - | stroke; =CVA; cerebrovascular accident; cerebral infarction
D002546 | Ischemic Attack, Transient | - | =TIA; transient ischemic attack; mini-stroke
D003924 | Diabetes Mellitus, Type 2 | D003920 | T2DM; T2D; DM2; type 2 diabetes; type 2 diabetes mellitus; type II diabetes; non-insulin-dependent diabetes; NIDDM
D003922 | Diabetes Mellitus, Type 1 | D003920 | T1DM; T1D; DM1; type 1 diabetes; type 1 diabetes mellitus; juvenile diabetes; IDDM
D003920 | Diabetes Mellitus | - | =DM; diabetes; diabetes mellitus
D009765 | Obesity | - | obesity; obese
D065626 | Non-alcoholic Fatty Liver Disease | - | NAFLD; NASH; MASLD; MASH; non-alcoholic fatty liver disease; nonalcoholic steatohepatitis; fatty liver disease
D051436 | Renal Insufficiency, Chronic | - | CKD; chronic kidney disease; chronic renal failure; chronic renal insufficiency
D007676 | Kidney Failure, Chronic | D051436 | ESRD; ESKD; end-stage renal disease; end-stage kidney disease
D058186 | Acute Kidney Injury | - | AKI; acute kidney injury; acute renal failure
D006949 | Hyperlipidemias | - | hyperlipidemia; =HLD; dyslipidemia
D029424 | Pulmonary Disease, Chronic Obstructive | - | COPD; chronic obstructive pulmonary disease; chronic obstructive lung disease
D001249 | Asthma | - | asthma
D054990 | Idiopathic Pulmonary Fibrosis | D017563 | IPF; idiopathic pulmonary fibrosis
D017563 | Lung Diseases, Interstitial | - | =ILD; interstitial lung disease
D012128 | Respiratory Distress Syndrome | - | ARDS; acute respiratory distress syndrome
D020181 | Sleep Apnea, Obstructive | - | OSA; obstructive sleep apnea; obstructive sleep apnoea
D003550 | Cystic Fibrosis | - | =CF; cystic fibrosis
D011014 | Pneumonia | - | pneumonia
D000690 | Amyotrophic Lateral Sclerosis | - | =ALS; amyotrophic lateral sclerosis; Lou Gehrig's disease; motor neurone disease
D009103 | Multiple Sclerosis | - | =MS; multiple sclerosis
D020529 | Multiple Sclerosis, Relapsing-Remitting | D009103 | RRMS; relapsing-remitting multiple sclerosis; relapsing multiple sclerosis
D000544 | Alzheimer Disease | D003704 | Alzheimer's disease; Alzheimer disease; Alzheimer's dementia
D003704 | Dementia | - | dementia
D010300 | Parkinson Disease | - | Parkinson's disease; Parkinson disease
D000070642 | Brain Injuries, Traumatic | - | TBI; traumatic brain injury
D009134 | Muscular Atrophy, Spinal | - | =SMA; spinal muscular atrophy
D004827 | Epilepsy | - | epilepsy; seizure disorder
D008881 | Migraine Disorders | - | migraine
D003865 | Depressive Disorder, Major | - | MDD; major depressive disorder; major depression; clinical depression
D013313 | Stress Disorders, Post-Traumatic | - | PTSD; post-traumatic stress disorder; posttraumatic stress disorder
D001289 | Attention Deficit Disorder with Hyperactivity | - | ADHD; attention deficit hyperactivity disorder
D000067877 | Autism Spectrum Disorder | - | autism; autism spectrum disorder; autistic disorder
D012559 | Schizophrenia | - | schizophrenia
D001714 | Bipolar Disorder | - | bipolar disorder; manic depression
D009293 | Opioid-Related Disorders | - | OUD; opioid use disorder; opioid dependence
D000437 | Alcoholism | - | =AUD; alcohol use disorder; alcohol dependence; alcoholism
D001172 | Arthritis, Rheumatoid | - | =RA; rheumatoid arthritis
D008180 | Lupus Erythematosus, Systemic | - | SLE; systemic lupus erythematosus; lupus
D015212 | Inflammatory Bowel Diseases | - | IBD; inflammatory bowel disease
D003424 | Crohn Disease | D015212 | Crohn's disease; Crohn disease; Crohns disease
D003093 | Colitis, Ulcerative | D015212 | =UC; ulcerative colitis
D015535 | Arthritis, Psoriatic | - | PsA; psoriatic arthritis
D013167 | Spondylitis, Ankylosing | - | ankylosing spondylitis; axSpA; axial spondyloarthritis
D011565 | Psoriasis | - | psoriasis; plaque psoriasis
D003876 | Dermatitis, Atopic | - | atopic dermatitis; eczema; atopic eczema
D006086 | Graft vs Host Disease | - | GVHD; GvHD; graft-versus-host disease; graft versus host disease; cGVHD; aGVHD
D016553 | Purpura, Thrombocytopenic, Idiopathic | - | =ITP; immune thrombocytopenia; idiopathic thrombocytopenic purpura
D014376 | Tuberculosis | - | =TB; tuberculosis
D015658 | HIV Infections | - | HIV; HIV infection; HIV-1 infection; human immunodeficiency virus infection; PLWH
D000163 | Acquired Immunodeficiency Syndrome | D015658 | =AIDS; acquired immunodeficiency syndrome
D006509 | Hepatitis B | - | HBV; hepatitis B; HBV infection; hepatitis B virus infection
D019694 | Hepatitis B, Chronic | D006509 | =CHB; chronic hepatitis B
D006526 | Hepatitis C | - | HCV; hepatitis C; HCV infection; hepatitis C virus infection
D000086382 | COVID-19 | - | COVID-19; COVID; SARS-CoV-2 infection; coronavirus disease 2019
D014552 | Urinary Tract Infections | - | UTI; urinary tract infection
D018805 | Sepsis | - | sepsis; septicemia
D007251 | Influenza, Human | - | influenza; flu
D008288 | Malaria | - | malaria
D000755 | Anemia, Sickle Cell | - | sickle cell disease; sickle cell anemia; sickle-cell anaemia
D005764 | Gastroesophageal Reflux | - | GERD; GORD; gastroesophageal reflux disease; acid reflux
D011470 | Prostatic Hyperplasia | - | BPH; benign prostatic hyperplasia
D011085 | Polycystic Ovary Syndrome | - | PCOS; polycystic ovary syndrome; polycystic ovarian syndrome
D010003 | Osteoarthritis | - | =OA; osteoarthritis
D010024 | Osteoporosis | - | osteoporosis
D008268 | Macular Degeneration | - | AMD; age-related macular degeneration; macular degeneration
D057135 | Wet Macular Degeneration | D008268 | nAMD; wet AMD; neovascular age-related macular degeneration
D008269 | Macular Edema | - | DME; diabetic macular edema; macular edema
D005922 | Glomerulonephritis, IGA | - | IgAN; IgA nephropathy
D008105 | Liver Cirrhosis, Biliary | D008103 | PBC; primary biliary cholangitis; primary biliary cirrhosis
D015209 | Cholangitis, Sclerosing | - | PSC; primary sclerosing cholangitis
D008103 | Liver Cirrhosis | - | cirrhosis; liver cirrhosis
D020388 | Muscular Dystrophy, Duchenne | - | DMD; Duchenne muscular dystrophy
D013345 | Subarachnoid Hemorrhage | D020521 | =SAH; subarachnoid hemorrhage
D002543 | Cerebral Hemorrhage | D020521 | =ICH; intracerebral hemorrhage; cerebral hemorrhage
D006980 | Hyperthyroidism | - | hyperthyroidism
D007037 | Hypothyroidism | - | hypothyroidism
D000740 | Anemia | - | anemia; anaemia
D012805 | Sickle Cell Trait | - | sickle cell trait
"""


#: concepts neither vocabulary has: (id, name, parent ids, terms)
OWN_CONCEPTS: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    (
        "TS:liver_metastases",
        "Liver metastases",
        ("MESH:D008113", "MESH:D009362"),
        "liver metastases; liver metastasis; hepatic metastases; liver mets; metastases to the"
        " liver; metastatic liver disease; hepatic metastatic disease",
    ),
    (
        "TS:colorectal_liver_metastases",
        "Colorectal liver metastases",
        ("MESH:D015179", "TS:liver_metastases"),
        "CRLM; colorectal liver metastases; colorectal liver metastasis; colorectal cancer"
        " liver metastases; colorectal cancer with liver metastases; liver metastases from"
        " colorectal cancer; liver metastases of colorectal cancer; hepatic metastases from"
        " colorectal cancer; metastatic colorectal cancer to the liver",
    ),
    (
        "TS:brain_metastases",
        "Brain metastases",
        ("MESH:D001932", "MESH:D009362"),
        "brain metastases; brain metastasis; brain mets; cerebral metastases; intracranial"
        " metastases; CNS metastases; metastases to the brain",
    ),
    (
        "TS:bone_metastases",
        "Bone metastases",
        ("MESH:D001859", "MESH:D009362"),
        "bone metastases; bone metastasis; bone mets; osseous metastases; skeletal metastases",
    ),
    (
        "TS:lung_metastases",
        "Lung metastases",
        ("MESH:D008175", "MESH:D009362"),
        "lung metastases; lung metastasis; pulmonary metastases; lung mets",
    ),
    (
        "TS:peritoneal_metastases",
        "Peritoneal metastases",
        ("MESH:D010534", "MESH:D009362"),
        "peritoneal metastases; peritoneal metastasis",
    ),
    (
        "TS:her2_positive_breast_cancer",
        "HER2-positive breast cancer",
        ("MESH:D001943",),
        "HER2+ breast cancer; HER2-positive breast cancer; HER2 positive breast carcinoma;"
        " HER2+ BC; HER2+ MBC; HER2-positive metastatic breast cancer",
    ),
    (
        "TS:hr_positive_breast_cancer",
        "Hormone receptor-positive breast cancer",
        ("MESH:D001943",),
        "HR+ breast cancer; HR-positive breast cancer; hormone receptor-positive breast cancer;"
        " ER+ breast cancer; ER-positive breast cancer; estrogen receptor-positive breast"
        " cancer; HR+/HER2- breast cancer; HR+ BC",
    ),
)


def mesh_terms() -> list[tuple[str, str, str, str]]:
    """MESH_TABLE as (UI, name, parent UI or "", terms) rows."""
    rows = []
    for line in MESH_TABLE.strip().splitlines():
        ui, name, parent, terms = (part.strip() for part in line.split(" | "))
        rows.append((ui, name, "" if parent == "-" else parent, terms))
    return rows
