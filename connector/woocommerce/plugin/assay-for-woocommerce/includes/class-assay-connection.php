<?php
/**
 * Where Assay hands this site's plugin its secret: POST /wp-json/wc-assay/v1/connection, authenticated by WooCommerce
 * with the REST key this site's admin approved for Assay (WooCommerce authenticates any `wc-` namespace).
 *
 * The secret signs as the store at Assay, so it never travels through a browser, where whoever started the install
 * could read it. The plugin takes it only while its own Connect is waiting, and only with the challenge of the
 * verifier that Connect kept: a connect someone else started, with a verifier of theirs, replaces nothing here.
 *
 * @package Assay_For_WooCommerce
 */

defined( 'ABSPATH' ) || exit;

/**
 * The REST route and the rule for taking a secret.
 */
class Assay_Connection {
	const REST_NAMESPACE = 'wc-assay/v1';
	const ROUTE          = '/connection';

	/**
	 * Hook the route.
	 */
	public function register(): void {
		add_action( 'rest_api_init', array( $this, 'add_route' ) );
	}

	/**
	 * The route, for a user who may manage WooCommerce (the key's own user).
	 */
	public function add_route(): void {
		register_rest_route(
			self::REST_NAMESPACE,
			self::ROUTE,
			array(
				'methods'             => 'POST',
				'callback'            => array( $this, 'receive' ),
				'permission_callback' => static function () {
					return current_user_can( Assay_Admin::CAPABILITY );
				},
			)
		);
	}

	/**
	 * The REST callback.
	 *
	 * @param WP_REST_Request $request The request, JSON {store_id, secret, challenge}.
	 * @return WP_REST_Response
	 */
	public function receive( $request ) {
		$sent   = $request->get_json_params();
		$answer = self::take( is_array( $sent ) ? $sent : array() );
		return new WP_REST_Response( $answer['body'], $answer['status'] );
	}

	/**
	 * Keep the store id and secret if this site's own Connect is the one waiting for them.
	 *
	 * @param array<string, mixed> $sent {store_id, secret, challenge}.
	 * @return array{status: int, body: array<string, mixed>}
	 */
	public static function take( array $sent ): array {
		$store_id  = is_int( $sent['store_id'] ?? null ) ? $sent['store_id'] : 0;
		$secret    = is_string( $sent['secret'] ?? null ) ? $sent['secret'] : '';
		$challenge = is_string( $sent['challenge'] ?? null ) ? $sent['challenge'] : '';
		if ( $store_id <= 0 || ! preg_match( '/^[A-Za-z0-9_-]{32,128}$/', $secret ) || ! preg_match( '/^[A-Za-z0-9_-]{43}$/', $challenge ) ) {
			return self::refusal( 400, 'assay_invalid_connection', 'store_id (a positive integer), secret and challenge are required.' );
		}
		$settings = Assay_Settings::all();
		if ( $settings['store_id'] === $store_id && '' !== $settings['secret'] && hash_equals( $settings['secret'], $secret ) ) {
			return self::taken(); // The same delivery again (Assay did not hear the first answer).
		}
		if ( '' === $settings['verifier'] || ! hash_equals( Assay_Client::challenge( $settings['verifier'] ), $challenge ) ) {
			return self::refusal( 409, 'assay_not_waiting', "This site's Assay plugin did not start this connect." );
		}
		Assay_Settings::update(
			array(
				'store_id' => $store_id,
				'secret'   => $secret,
				'verifier' => '',
			)
		);
		return self::taken();
	}

	/**
	 * The answer to a secret kept.
	 *
	 * @return array{status: int, body: array<string, mixed>}
	 */
	private static function taken(): array {
		return array(
			'status' => 200,
			'body'   => array( 'connected' => true ),
		);
	}

	/**
	 * A refusal in WordPress's error shape.
	 *
	 * @param int    $status  HTTP status.
	 * @param string $code    Error code.
	 * @param string $message What went wrong.
	 * @return array{status: int, body: array<string, mixed>}
	 */
	private static function refusal( int $status, string $code, string $message ): array {
		return array(
			'status' => $status,
			'body'   => array(
				'code'    => $code,
				'message' => $message,
				'data'    => array( 'status' => $status ),
			),
		);
	}
}
