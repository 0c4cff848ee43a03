import i18n from "i18next";
import { initReactI18next } from "react-i18next";
import { en } from "./locales/en";
import { zh } from "./locales/zh";

/** The language the user picked last time, remembered on this computer. */
export const LANGUAGE_KEY = "tessera.language";

export function savedLanguage(storage: Pick<Storage, "getItem"> | undefined): "en" | "zh" {
  const saved = storage?.getItem(LANGUAGE_KEY);
  return saved === "zh" ? "zh" : "en";
}

i18n.use(initReactI18next).init({
  resources: { en: { translation: en }, zh: { translation: zh } },
  lng: savedLanguage(typeof localStorage === "undefined" ? undefined : localStorage),
  fallbackLng: "en",
  interpolation: { escapeValue: false },
});

export function setLanguage(language: "en" | "zh") {
  localStorage.setItem(LANGUAGE_KEY, language);
  document.documentElement.lang = language === "zh" ? "zh-CN" : "en";
  return i18n.changeLanguage(language);
}

export default i18n;
