/*
 * strings.c - the kiosk's words (str.h): one table per language, indexed by
 * enum str_id, and str_fill for the few strings with a number or a name.
 *
 * Few words, plain and warm: the reader may be anxious, drowsy or
 * dissociated.  No string ever holds a patient's name.
 */
#include "str.h"

#include <stdbool.h>
#include <string.h>

static const char *const english[STR_COUNT] = {
    [STR_HELP] = "Help",
    [STR_HELP_HINT] = "Touch to call your nurse",
    [STR_HELP_SENDING] = "Calling your nurse\u2026",
    [STR_HELP_WAITING] = "Waiting to send your call",
    [STR_HELP_CALLED] = "Your nurse has been called",
    [STR_HELP_COMING] = "A nurse is on the way",
    [STR_HELP_COMING_BY] = "{1} is on the way",

    [STR_OFFLINE] = "We can't reach the nurses' station right now.",
    [STR_OFFLINE_CALL_SAVED] =
        "Your call is saved and will be sent as soon as the connection is back.",

    [STR_IDLE_WELCOME] = "Welcome.",
    [STR_IDLE_COMFORT] = "Make yourself comfortable.",

    [STR_INTAKE_TITLE] = "Before your treatment",
    [STR_INTAKE_HINT] = "Touch each one that is true.",
    [STR_INTAKE_FASTED] = "I have eaten nothing in the last 3 hours",
    [STR_INTAKE_ESCORT] = "Someone is taking me home",
    [STR_INTAKE_MEDICINES] = "I told the team about any new medicines",

    [STR_INFUSION_REST] = "Rest.",
    [STR_INFUSION_RUNNING] = "Your treatment is running.",
    [STR_ELAPSED_MIN] = "{1} min",
    [STR_ELAPSED_HOURS] = "{1} h {2} min",
    [STR_SOUND] = "Sound",
    [STR_SOUND_OFF] = "Off",
    [STR_SOUND_PLAY] = "Play",
    [STR_SOUND_PAUSE] = "Pause",
    [STR_SOUND_NEXT] = "Next",
    [STR_SOUND_QUIETER] = "Quieter",
    [STR_SOUND_LOUDER] = "Louder",
    [STR_THEME_AMBIENT] = "Calm",
    [STR_THEME_NATURE] = "Nature",
    [STR_THEME_RAIN] = "Rain",
    [STR_THEME_SILENCE] = "Silence",
    [STR_STAFF_SOUND_NO_DEVICE] = "Sound off: no audio output (see the log)",
    [STR_STAFF_SOUND_NO_FILES] = "Sound off: no file of playlist {1} can be played (see the log)",

    [STR_RECOVERY_TITLE] = "Take your time.",
    [STR_RECOVERY_LEFT] = "About {1} minutes of rest left",
    [STR_RECOVERY_LEFT_ONE] = "About 1 minute of rest left",
    [STR_RECOVERY_OVER] = "Your rest time is over. A nurse will check on you soon.",

    [STR_DISCHARGE_TITLE] = "Time to go home",
    [STR_DISCHARGE_ESCORT] = "My escort is here",
    [STR_DISCHARGE_REVIEW] = "A nurse will check on you before you leave.",

    [STR_CHECKIN_TITLE] = "How are you feeling?",
    [STR_FEEL_VERY_GOOD] = "Very good",
    [STR_FEEL_GOOD] = "Good",
    [STR_FEEL_OK] = "OK",
    [STR_FEEL_NOT_GOOD] = "Not good",
    [STR_FEEL_VERY_BAD] = "Very bad",
    [STR_CHECKIN_SOMEONE] = "I'd like someone to come",
    [STR_CHECKIN_THANKS] = "Thank you.",

    [STR_PIN_TITLE] = "Staff PIN",
    [STR_PIN_CANCEL] = "Cancel",
    [STR_PIN_OK] = "OK",
    [STR_PIN_WRONG] = "Wrong PIN",
    [STR_PIN_LOCKED] = "Too many wrong PINs. Try again at {1}.",
    [STR_STAFF_VISIT] = "Visit {1}: {2}",
    [STR_STAFF_NO_VISIT] = "No visit",
    [STR_STAFF_BEGIN] = "Begin visit",
    [STR_STAFF_END] = "End visit",
    [STR_STAFF_CLEAR] = "Clear the call",
    [STR_STAFF_CLOSE] = "Close",
    [STR_STAFF_CONNECTED] = "Connected to the nurses' station",
    [STR_STAFF_NOT_CONNECTED] = "Not connected since {1}",
    [STR_STAFF_PENDING] = "{1} messages waiting",
    [STR_STAFF_PENDING_ONE] = "1 message waiting",

    [STR_LANG_EN] = "English",
    [STR_LANG_ES] = "Español",

    [STR_FORM_START] = "Start",
    [STR_FORM_BACK] = "Back",
    [STR_FORM_NEXT] = "Next",
    [STR_FORM_MULTI_HINT] = "Touch every one that applies, then Next",
    [STR_FORM_PROGRESS] = "Question {1} of {2}",
    [STR_FORM_REVIEW_TITLE] = "Please check your answers",
    [STR_FORM_REVIEW_HINT] = "To change an answer, touch Back.",
    [STR_FORM_SEND] = "Send",
    [STR_FORM_MESSAGE_TITLE] = "Thank you for telling us.",
    [STR_FORM_MESSAGE_BODY] = "Someone from your care team is coming to talk with you now. "
                              "You are not alone.",
    [STR_FORM_CONTINUE] = "Continue",
    [STR_FORM_DONE_TITLE] = "Thank you.",
    [STR_FORM_DONE_BODY] = "Your answers have been sent. A nurse will be with you soon.",

    [STR_PHASE_IDLE] = "Idle",
    [STR_PHASE_INTAKE] = "Intake",
    [STR_PHASE_INFUSION] = "Infusion",
    [STR_PHASE_RECOVERY] = "Recovery",
    [STR_PHASE_DISCHARGE] = "Discharge",
};

/*
 * Spanish (usted, as in the published PHQ-9 and GAD-7 translations).  The
 * staff's own words (the PIN pad, the staff menu, phase names) are
 * translated too, so a screen never mixes languages.  Every entry is set:
 * test_ui checks that none is missing.
 */
static const char *const spanish[STR_COUNT] = {
    [STR_HELP] = "Ayuda",
    [STR_HELP_HINT] = "Toque para pedir ayuda",
    [STR_HELP_SENDING] = "Llamando a su enfermero(a)\u2026",
    [STR_HELP_WAITING] = "Su llamada espera para enviarse",
    [STR_HELP_CALLED] = "Ya llamamos a su enfermero(a)",
    [STR_HELP_COMING] = "Un(a) enfermero(a) viene en camino",
    [STR_HELP_COMING_BY] = "{1} viene en camino",

    [STR_OFFLINE] = "Ahora no podemos comunicarnos con la estación de enfermería.",
    [STR_OFFLINE_CALL_SAVED] =
        "Su llamada está guardada y se enviará en cuanto vuelva la conexión.",

    [STR_IDLE_WELCOME] = "Bienvenido(a).",
    [STR_IDLE_COMFORT] = "Póngase cómodo(a).",

    [STR_INTAKE_TITLE] = "Antes de su tratamiento",
    [STR_INTAKE_HINT] = "Toque cada frase que sea cierta.",
    [STR_INTAKE_FASTED] = "No he comido nada en las últimas 3 horas",
    [STR_INTAKE_ESCORT] = "Alguien me va a llevar a casa",
    [STR_INTAKE_MEDICINES] = "Le dije al equipo si tomo medicamentos nuevos",

    [STR_INFUSION_REST] = "Descanse.",
    [STR_INFUSION_RUNNING] = "Su tratamiento está en curso.",
    [STR_ELAPSED_MIN] = "{1} min",
    [STR_ELAPSED_HOURS] = "{1} h {2} min",
    [STR_SOUND] = "Sonido",
    [STR_SOUND_OFF] = "Apagado",

    [STR_RECOVERY_TITLE] = "Tómese su tiempo.",
    [STR_RECOVERY_LEFT] = "Quedan unos {1} minutos de descanso",
    [STR_RECOVERY_LEFT_ONE] = "Queda alrededor de 1 minuto de descanso",
    [STR_RECOVERY_OVER] = "Terminó su tiempo de descanso. Un(a) enfermero(a) vendrá a verle pronto.",

    [STR_DISCHARGE_TITLE] = "Hora de irse a casa",
    [STR_DISCHARGE_ESCORT] = "Mi acompañante está aquí",
    [STR_DISCHARGE_REVIEW] = "Un(a) enfermero(a) le revisará antes de que se vaya.",

    [STR_CHECKIN_TITLE] = "¿Cómo se siente?",
    [STR_FEEL_VERY_GOOD] = "Muy bien",
    [STR_FEEL_GOOD] = "Bien",
    [STR_FEEL_OK] = "Regular",
    [STR_FEEL_NOT_GOOD] = "No muy bien",
    [STR_FEEL_VERY_BAD] = "Muy mal",
    [STR_CHECKIN_SOMEONE] = "Quiero que venga alguien",
    [STR_CHECKIN_THANKS] = "Gracias.",

    [STR_PIN_TITLE] = "PIN del personal",
    [STR_PIN_CANCEL] = "Cancelar",
    [STR_PIN_OK] = "Aceptar",
    [STR_PIN_WRONG] = "PIN incorrecto",
    [STR_PIN_LOCKED] = "Demasiados PIN incorrectos. Vuelva a intentarlo a las {1}.",
    [STR_STAFF_VISIT] = "Visita {1}: {2}",
    [STR_STAFF_NO_VISIT] = "Sin visita",
    [STR_STAFF_BEGIN] = "Iniciar visita",
    [STR_STAFF_END] = "Terminar visita",
    [STR_STAFF_CLEAR] = "Borrar la llamada",
    [STR_STAFF_CLOSE] = "Cerrar",
    [STR_STAFF_CONNECTED] = "Conectado a la estación de enfermería",
    [STR_STAFF_NOT_CONNECTED] = "Sin conexión desde las {1}",
    [STR_STAFF_PENDING] = "{1} mensajes en espera",
    [STR_STAFF_PENDING_ONE] = "1 mensaje en espera",

    [STR_LANG_EN] = "English",
    [STR_LANG_ES] = "Español",

    [STR_FORM_START] = "Comenzar",
    [STR_FORM_BACK] = "Atrás",
    [STR_FORM_NEXT] = "Siguiente",
    [STR_FORM_MULTI_HINT] = "Toque todos los que correspondan y luego Siguiente",
    [STR_FORM_PROGRESS] = "Pregunta {1} de {2}",
    [STR_FORM_REVIEW_TITLE] = "Por favor, revise sus respuestas",
    [STR_FORM_REVIEW_HINT] = "Para cambiar una respuesta, toque Atrás.",
    [STR_FORM_SEND] = "Enviar",
    [STR_FORM_MESSAGE_TITLE] = "Gracias por decírnoslo.",
    [STR_FORM_MESSAGE_BODY] = "Alguien de su equipo de atención viene ahora a hablar con usted. "
                              "No está solo(a).",
    [STR_FORM_CONTINUE] = "Continuar",
    [STR_FORM_DONE_TITLE] = "Gracias.",
    [STR_FORM_DONE_BODY] = "Sus respuestas se enviaron. Un(a) enfermero(a) estará con usted pronto.",

    [STR_PHASE_IDLE] = "Sin visita",
    [STR_PHASE_INTAKE] = "Admisión",
    [STR_PHASE_INFUSION] = "Infusión",
    [STR_PHASE_RECOVERY] = "Recuperación",
    [STR_PHASE_DISCHARGE] = "Alta",
    /* the sound controls: short words: five buttons share a row left of the help button on a small screen */
    [STR_SOUND_PLAY] = "Seguir",
    [STR_SOUND_PAUSE] = "Pausa",
    [STR_SOUND_NEXT] = "Otra",
    [STR_SOUND_QUIETER] = "Bajar",
    [STR_SOUND_LOUDER] = "Subir",
    [STR_THEME_AMBIENT] = "Calma",
    [STR_THEME_NATURE] = "Naturaleza",
    [STR_THEME_RAIN] = "Lluvia",
    [STR_THEME_SILENCE] = "Silencio",
    [STR_STAFF_SOUND_NO_DEVICE] = "Sonido apagado: no hay salida de audio (ver el registro)",
    [STR_STAFF_SOUND_NO_FILES] =
        "Sonido apagado: ning\u00fan archivo de la lista {1} se puede reproducir (ver el registro)",
};

static const struct {
    const char *lang;
    const char *const *table;
} languages[] = {
    { "en", english },
    { "es", spanish },
};

const char *str_english(enum str_id id)
{
    return (unsigned)id < STR_COUNT ? english[id] : NULL;
}

const char *str_spanish(enum str_id id)
{
    return (unsigned)id < STR_COUNT ? spanish[id] : NULL;
}

const char *str_in(const char *lang, enum str_id id)
{
    const char *s = NULL;

    if ((unsigned)id >= STR_COUNT)
        return "";
    for (size_t i = 0; lang && i < sizeof languages / sizeof languages[0]; i++)
        if (strcmp(lang, languages[i].lang) == 0)
            s = languages[i].table[id];
    if (!s)
        s = english[id];
    return s ? s : "";
}

/*
 * Appends n bytes of s to out at *len, keeping room for the terminator.
 * Returns false when it had to cut (at a UTF-8 character boundary).
 */
static bool append(char *out, size_t outlen, size_t *len, const char *s, size_t n)
{
    bool whole = *len + n < outlen;

    if (!whole) {
        n = outlen - 1 - *len;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    memcpy(out + *len, s, n);
    *len += n;
    return whole;
}

char *str_fill(char *out, size_t outlen, const char *tmpl, const char *arg1, const char *arg2)
{
    size_t len = 0;
    bool room = outlen > 0;

    while (room && *tmpl) {
        if (tmpl[0] == '{' && (tmpl[1] == '1' || tmpl[1] == '2') && tmpl[2] == '}') {
            const char *arg = tmpl[1] == '1' ? arg1 : arg2;
            if (arg)
                room = append(out, outlen, &len, arg, strlen(arg));
            tmpl += 3;
        } else {
            size_t n = 1;
            while (((unsigned char)tmpl[n] & 0xC0) == 0x80)
                n++;
            room = append(out, outlen, &len, tmpl, n);
            tmpl += n;
        }
    }
    if (outlen > 0)
        out[len] = '\0';
    return out;
}
