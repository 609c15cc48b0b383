"""The known truth from which the synthetic cohort is drawn.

Every field has a calibrated default, so ``Truth()`` is the default truth of the book. The
calibration reasoning and the published targets (with source keys) are on the book page
"Calibration", generated from these values by ``trustexp.report.calibration``. Units:

* outflow keys (``outflow_full``, ``outflow_any``) and ``deprived``: probability (0.09 = 9 pp),
  the probability of leaving benefit (to full-time work / for any reason) within
  ``outflow.horizon_months`` months after the index month;
* every other outcome: points on the outcome's own scale (see the codebook).

Survey effects (participation and arm) are half present at wave 1 and fully at wave 2; the
wave trend is a change per wave common to all participants. Without a survey of
non-participants the participation effect on a survey outcome cannot be told apart from the
trend; its defaults are therefore zero.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

OUTCOME_KEYS: tuple[str, ...] = (
    "outflow_full",
    "outflow_any",
    "wellbeing",
    "health",
    "mental_health",
    "self_reliance",
    "social_trust",
    "institutional_trust",
    "financial_strain",
    "deprived",
    "contacts",
    "ladder",
    "ladder_self",
    "outflow_durable",
    "motivation",
)
"""The outcome keys used everywhere (results store, glue names, codebook). ``ladder`` is the
consultant's rating of the participation ladder, ``ladder_self`` the participant's own;
``outflow_durable`` is an exit to work not followed by a return to benefit (see ``Returns``)."""

SURVEY_ITEMS: tuple[str, ...] = (
    "wellbeing",
    "health",
    "mental_health",
    "self_reliance",
    "social_trust",
    "institutional_trust",
    "financial_strain",
    "deprived",
    "contacts",
    "ladder",
    "motivation",
    "progress",
)
"""Items of the questionnaires (participants' own and consultants' ratings)."""

ARMS: tuple[str, ...] = ("eigen_regie", "intensief", "regulier")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OutcomeValues(_Strict):
    """One number per outcome key (plus the survey-only items ``motivation`` and ``progress``)."""

    outflow_full: float = 0.0
    outflow_any: float = 0.0
    wellbeing: float = 0.0
    health: float = 0.0
    mental_health: float = 0.0
    self_reliance: float = 0.0
    social_trust: float = 0.0
    institutional_trust: float = 0.0
    financial_strain: float = 0.0
    deprived: float = 0.0
    contacts: float = 0.0
    ladder: float = 0.0
    motivation: float = 0.0
    progress: float = 0.0


class ArmValues(_Strict):
    """One ``OutcomeValues`` per arm."""

    eigen_regie: OutcomeValues = OutcomeValues()
    intensief: OutcomeValues = OutcomeValues()
    regulier: OutcomeValues = OutcomeValues()


class GroupCovariates(_Strict):
    """Distribution of the registry covariates of one group (participants or non-participants)."""

    age_mean: float = Field(42.0, ge=18, le=66, description="mean age at the index date (years)")
    age_sd: float = Field(11.0, gt=0, description="SD of age before truncation to 18-66")
    female: float = Field(0.55, ge=0, le=1, description="share of women")
    migration_background: float = Field(
        0.45, ge=0, le=1, description="share with a migration background"
    )
    household: tuple[float, float, float, float] = Field(
        (0.50, 0.25, 0.08, 0.17),
        description="shares single, single_parent, couple, couple_children",
    )
    benefit_months_median: float = Field(
        24.0, gt=0, description="median months on benefit at the index date (log-normal)"
    )
    benefit_months_sigma: float = Field(
        0.95, gt=0, description="log-scale SD of months on benefit (right skew)"
    )


class Population(_Strict):
    """Covariates: participants over-represent short benefit durations (Tilburg team)."""

    participants: GroupCovariates = GroupCovariates()
    non_participants: GroupCovariates = GroupCovariates(
        age_mean=46.0, female=0.52, migration_background=0.42, benefit_months_median=42.0
    )
    education: tuple[float, float, float] = Field(
        (0.45, 0.40, 0.15), description="participants' shares low, mid, high education"
    )


class Outflow(_Strict):
    """Benefit exit within ``horizon_months``, additive on the probability scale.

    p_full = base_full + covariate terms + participation + arm effect + consultant effect,
    clipped to [0.005, 0.95]; p_any likewise (at least p_full + 0.01). The exit month follows a
    constant monthly hazard implied by p_any, so the share exiting within the horizon is p_any.
    """

    horizon_months: int = Field(
        24, ge=3, le=120, description="months after the index month over which p is defined"
    )
    base_full: float = Field(
        0.180,
        ge=0,
        le=1,
        description="P(full-time work exit) at 0 years on benefit, age 40, mid education, single, no migration background",
    )
    base_any: float = Field(
        0.370, ge=0, le=1, description="P(any exit) at the same reference covariates"
    )
    duration_per_year: float = Field(
        -0.014,
        description="full-time exit probability per extra year on benefit (report_apeldoorn_312)",
    )
    duration_cap_years: float = Field(
        10.0, gt=0, description="years on benefit beyond which the duration term stays flat"
    )
    age_per_decade: float = Field(-0.012, description="per 10 years of age above 40")
    migration_background: float = Field(-0.015, description="migration background")
    education_low: float = Field(
        -0.020,
        description="low vs mid education (participants only; education unknown for non-participants)",
    )
    education_high: float = Field(0.035, description="high vs mid education")
    single_parent: float = Field(-0.020, description="single parent vs single")
    any_multiplier: float = Field(
        1.3, gt=0, description="covariate terms of p_any are this multiple of those of p_full"
    )
    part_time_share: float = Field(
        0.55, ge=0, le=1, description="share of non-full-time exits that are to part-time work"
    )


class Consultants(_Strict):
    """Consultants volunteered and mostly served one arm (partial confounding with arm)."""

    n_consultants: int = Field(
        12, ge=3, le=200, description="number of consultants, spread evenly over home arms"
    )
    home_arm_share: float = Field(
        0.85, ge=0, le=1, description="share of a consultant's clients drawn from the home arm"
    )
    outflow_sd: float = Field(
        0.06, ge=0, description="SD of consultant effects on both outflow probabilities"
    )
    rater_sd: float = Field(
        0.3, ge=0, description="SD of consultant leniency in their ratings (points)"
    )
    rating_bias: OutcomeValues = Field(
        OutcomeValues(wellbeing=0.5, ladder=0.3, progress=0.5),
        description="consultants' upward bias over the participant's own view, at wave 0",
    )
    rating_bias_per_wave: OutcomeValues = Field(
        OutcomeValues(wellbeing=0.2, ladder=0.15, progress=0.4),
        description="growth of the upward bias per wave (consultants see more progress)",
    )


class NonResponse(_Strict):
    """Survey response: logistic in covariates, falling by wave (missing at random given covariates)."""

    participant_rate: tuple[float, float, float] = Field(
        (0.95, 0.80, 0.68),
        description="response of participants at reference covariates, waves 0/1/2",
    )
    consultant_rate: tuple[float, float, float] = Field(
        (0.97, 0.90, 0.85), description="response of consultants for a client, waves 0/1/2"
    )
    age_per_decade: float = Field(
        0.25, description="log-odds per 10 years of age above 40 (older respond more)"
    )
    migration_background: float = Field(-0.45, description="log-odds, migration background")
    education_low: float = Field(-0.40, description="log-odds, low vs mid education")
    benefit_years: float = Field(-0.06, description="log-odds per year on benefit")


class Survey(_Strict):
    """Participants' outcome model on the latent scale before rounding and clipping."""

    baseline_mean: OutcomeValues = Field(
        OutcomeValues(
            wellbeing=6.0,
            health=3.2,
            mental_health=62.0,
            self_reliance=3.2,
            social_trust=5.2,
            institutional_trust=4.8,
            financial_strain=3.3,
            deprived=0.45,
            contacts=8.0,
            ladder=2.6,
            motivation=3.5,
            progress=4.5,
        ),
        description="wave-0 mean at reference covariates (deprived: probability)",
    )
    person_sd: OutcomeValues = Field(
        OutcomeValues(
            wellbeing=1.2,
            health=0.7,
            mental_health=12.0,
            self_reliance=0.5,
            social_trust=1.5,
            institutional_trust=1.6,
            financial_strain=0.7,
            deprived=0.20,
            contacts=3.5,
            ladder=0.8,
            motivation=0.6,
            progress=1.2,
        ),
        description="SD of the person random intercept",
    )
    noise_sd: OutcomeValues = Field(
        OutcomeValues(
            wellbeing=1.0,
            health=0.5,
            mental_health=10.0,
            self_reliance=0.35,
            social_trust=1.2,
            institutional_trust=1.3,
            financial_strain=0.6,
            deprived=0.0,
            contacts=2.0,
            ladder=0.6,
            motivation=0.5,
            progress=1.0,
        ),
        description="SD of the wave-specific residual (deprived: none beyond Bernoulli)",
    )
    wave_trend: OutcomeValues = Field(
        OutcomeValues(
            wellbeing=0.35,
            health=0.0,
            mental_health=1.0,
            self_reliance=0.03,
            social_trust=0.25,
            institutional_trust=0.05,
            financial_strain=-0.03,
            deprived=-0.01,
            contacts=0.6,
            ladder=0.15,
            motivation=0.0,
            progress=0.3,
        ),
        description="change per wave common to all participants (wellbeing and social trust rise)",
    )
    age_per_decade: OutcomeValues = Field(
        OutcomeValues(health=-0.15, mental_health=-1.0, contacts=-0.5, ladder=-0.1),
        description="per 10 years of age above 40",
    )


class Spending(_Strict):
    """Participation budget: per instrument, yearly use probability and median amount."""

    instruments: tuple[str, ...] = Field(
        (
            "reintegration_trajectory",
            "training",
            "social_activity",
            "materials",
            "coaching",
            "travel",
            "childcare",
        ),
        description="instrument keys (codebook levels)",
    )
    use_probability: tuple[float, ...] = Field(
        (0.025, 0.12, 0.20, 0.16, 0.08, 0.15, 0.04),
        description="P(any spending per person-year), per instrument",
    )
    median_eur: tuple[float, ...] = Field(
        (1500.0, 600.0, 150.0, 250.0, 400.0, 100.0, 800.0),
        description="median amount per person-year (log-normal)",
    )
    sigma: float = Field(0.6, gt=0, description="log-scale SD of amounts")
    arm_use_multiplier: tuple[float, float, float] = Field(
        (1.3, 1.2, 0.7),
        description="use multiplier eigen_regie, intensief, regulier (all instruments but trajectories)",
    )
    regulier_trajectory_multiplier: float = Field(
        2.0,
        ge=0,
        description="regulier's trajectory use relative to the default (regular trajectories)",
    )
    non_participant_use_multiplier: float = Field(
        0.5,
        ge=0,
        description="non-participants' use of every instrument relative to the control arm "
        "(regular clients who did not volunteer; drawn from a stream of their own)",
    )
    years: int = Field(
        2, ge=1, le=5, description="experiment length in years from the lottery date"
    )


class ArmShares(_Strict):
    """One probability shift per arm (regulier = control)."""

    eigen_regie: float = Field(0.0, ge=-1, le=1)
    intensief: float = Field(0.0, ge=-1, le=1)
    regulier: float = Field(0.0, ge=-1, le=1)


class Returns(_Strict):
    """Returns to benefit after an exit to work (the durability of exits).

    A person who leaves benefit for work (full- or part-time) comes back on benefit with
    probability ``share`` (+ ``participation`` for participants, + the arm's shift), clipped to
    [0, 1], after 1 to ``within_months`` months off benefit (uniform), and then stays on benefit.
    Off by default (``share`` 0): the default cohort has no returns, as before this block existed.
    Every draw comes from its own random stream, so switching returns on leaves all other draws
    of the cohort as they were.
    """

    share: float = Field(
        0.0, ge=0, le=1, description="P(back on benefit within within_months | exit to work)"
    )
    within_months: int = Field(
        12, ge=1, le=60, description="returns happen 1 to this many months after the exit"
    )
    participation: float = Field(
        0.0, ge=-1, le=1, description="shift of the return probability for participants"
    )
    arm: ArmShares = Field(ArmShares(), description="shift of the return probability per arm")


class Truth(_Strict):
    """The known truth of the synthetic cohort (defaults calibrated to the published Oss figures)."""

    participation: OutcomeValues = Field(
        OutcomeValues(outflow_full=0.095, outflow_any=0.12),
        description="participation (Hawthorne) effect common to all arms",
    )
    arm_effect: ArmValues = Field(
        ArmValues(
            eigen_regie=OutcomeValues(
                outflow_full=0.010,
                outflow_any=0.015,
                wellbeing=0.10,
                contacts=1.5,
                ladder=0.30,
                social_trust=0.05,
                self_reliance=0.05,
                progress=0.3,
                motivation=0.1,
            ),
            intensief=OutcomeValues(
                outflow_full=0.008,
                outflow_any=0.010,
                wellbeing=0.05,
                contacts=0.6,
                ladder=0.12,
                progress=0.2,
            ),
        ),
        description="each arm's own effect at wave 2 / on outflow (regulier = control: zero)",
    )
    arm_baseline: ArmValues = Field(
        ArmValues(intensief=OutcomeValues(health=-0.15)),
        description="arm offsets present from wave 0 on (intensief slightly worse health)",
    )
    population: Population = Field(Population(), description="covariate distributions")
    outflow: Outflow = Field(Outflow(), description="benefit-exit model")
    survey: Survey = Field(Survey(), description="questionnaire outcome model")
    consultants: Consultants = Field(
        Consultants(), description="consultant assignment, effects and bias"
    )
    nonresponse: NonResponse = Field(NonResponse(), description="survey non-response model")
    spending: Spending = Field(Spending(), description="participation-budget spending model")
    returns: Returns = Field(Returns(), description="returns to benefit after an exit to work")
