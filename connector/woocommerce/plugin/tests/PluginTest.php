<?php

use PHPUnit\Framework\TestCase;

/** The plugin's own logic with WordPress and WooCommerce stood in for by tests/wp-stubs.php. */
final class PluginTest extends TestCase {
	private array $sent = array();
	private array $answers = array();

	protected function setUp(): void {
		$GLOBALS['wp_options']  = array();
		$GLOBALS['wp_user_can'] = true;
		$GLOBALS['wp_user_id']  = 7;
		$GLOBALS['wp_orders']   = array();
		$GLOBALS['wp_block_theme'] = false;
		$_POST                  = array();
		$_REQUEST               = array();
		$_GET                   = array();
		$_SERVER['REQUEST_METHOD'] = 'GET';
		$this->sent    = array();
		$this->answers = array();
		$GLOBALS['assay_http'] = function ( $url, $args ) {
			$this->sent[] = array( 'url' => $url ) + $args;
			$answer = array_shift( $this->answers ) ?? array( 500, array() );
			if ( $answer instanceof WP_Error ) {
				return $answer;
			}
			[ $code, $body ] = $answer;
			return array( 'body' => is_string( $body ) ? $body : json_encode( $body ), 'response' => array( 'code' => $code ) );
		};
	}

	private function connected(): void {
		Assay_Settings::update( array( 'assay_url' => 'https://assay.example', 'store_id' => 42, 'secret' => 'plugin-secret' ) );
	}

	public function test_connect_sends_the_browser_to_assays_install_with_the_challenge_of_a_kept_verifier(): void {
		$_POST['assay_url'] = 'https://assay.example/';
		$_REQUEST['_wpnonce'] = wp_create_nonce( 'assay_connect' );
		$url = ( new Assay_Admin() )->handle_connect();

		$verifier = Assay_Settings::all()['verifier'];
		$this->assertMatchesRegularExpression( '/^[A-Za-z0-9_-]{64}$/', $verifier );
		$this->assertSame( 'https://assay.example/woocommerce/install?store_url=https%3A%2F%2Fshop.example&plugin_challenge=' . Assay_Client::challenge( $verifier ), $url );
		$this->assertSame( rtrim( strtr( base64_encode( hash( 'sha256', $verifier, true ) ), '+/', '-_' ), '=' ), Assay_Client::challenge( $verifier ) );
		$this->assertStringNotContainsString( $verifier, $url, 'the verifier never leaves the site' );
	}

	public function test_connect_refuses_an_assay_url_that_is_not_https(): void {
		$_POST['assay_url'] = 'http://assay.example';
		$_REQUEST['_wpnonce'] = wp_create_nonce( 'assay_connect' );
		$this->assertStringContainsString( 'assay_notice=bad_url', ( new Assay_Admin() )->handle_connect() );
		$this->assertSame( '', Assay_Settings::all()['assay_url'] );
	}

	private function waiting_for( string $verifier ): void {
		Assay_Settings::update( array( 'assay_url' => 'https://assay.example', 'verifier' => $verifier ) );
	}

	private function delivery( string $verifier, int $store_id = 42, string $secret = 'a-secret-of-assays-making-32-chars-long' ): array {
		return array( 'store_id' => $store_id, 'secret' => $secret, 'challenge' => Assay_Client::challenge( $verifier ) );
	}

	public function test_the_secret_assay_delivers_is_kept_when_its_challenge_is_that_of_the_connect_this_site_started(): void {
		$this->waiting_for( 'the-verifier-kept-at-connect-0123456789-abcdefghij' );
		$answer = ( new Assay_Connection() )->receive( new WP_REST_Request( $this->delivery( 'the-verifier-kept-at-connect-0123456789-abcdefghij' ) ) );

		$this->assertSame( 200, $answer->get_status() );
		$this->assertSame( array( 'assay_url' => 'https://assay.example', 'store_id' => 42, 'secret' => 'a-secret-of-assays-making-32-chars-long', 'verifier' => '' ), Assay_Settings::all() );
		$this->assertSame( array(), $this->sent, 'nothing is asked of Assay: the secret came to the site' );
		$again = Assay_Connection::take( $this->delivery( 'the-verifier-kept-at-connect-0123456789-abcdefghij' ) );
		$this->assertSame( 200, $again['status'], 'the same delivery twice is answered alike' );
	}

	public function test_a_secret_for_a_connect_someone_else_started_is_refused_and_replaces_nothing(): void {
		$this->connected();
		$this->assertSame( 409, Assay_Connection::take( $this->delivery( 'an-attackers-own-verifier-0123456789-abcdefghij', 43, 'the-attackers-secret-of-32-characters' ) )['status'], 'connected: nothing is waiting' );
		$this->waiting_for( 'the-verifier-kept-at-connect-0123456789-abcdefghij' );
		$this->assertSame( 409, Assay_Connection::take( $this->delivery( 'an-attackers-own-verifier-0123456789-abcdefghij', 43, 'the-attackers-secret-of-32-characters' ) )['status'], 'waiting, but on another challenge' );
		$this->assertSame( 'plugin-secret', Assay_Settings::all()['secret'] );
		$this->assertSame( 42, Assay_Settings::all()['store_id'] );
	}

	public function test_a_malformed_delivery_is_refused_naming_what_is_required(): void {
		$this->waiting_for( 'the-verifier-kept-at-connect-0123456789-abcdefghij' );
		$answer = Assay_Connection::take( array( 'store_id' => '42', 'secret' => 'x', 'challenge' => 'y' ) );
		$this->assertSame( 400, $answer['status'] );
		$this->assertStringContainsString( 'store_id', $answer['body']['message'] );
	}

	public function test_the_route_is_only_for_a_user_who_may_manage_woocommerce(): void {
		$GLOBALS['wp_rest_routes'] = array();
		( new Assay_Connection() )->add_route();
		[ $namespace, $route, $options ] = $GLOBALS['wp_rest_routes'][0];
		$this->assertSame( array( 'wc-assay/v1', '/connection', 'POST' ), array( $namespace, $route, $options['methods'] ) );
		$this->assertTrue( $options['permission_callback']() );
		$GLOBALS['wp_user_can'] = false;
		$this->assertFalse( $options['permission_callback']() );
	}

	public function test_back_from_the_approval_the_page_says_connecting_and_never_asks_assay_for_a_secret(): void {
		$this->waiting_for( 'the-verifier-kept-at-connect-0123456789-abcdefghij' );
		$_GET['assay_connecting'] = '1';
		ob_start();
		( new Assay_Admin() )->render();
		$html = ob_get_clean();
		$this->assertStringContainsString( 'Assay is finishing the connection', $html );
		$this->assertStringContainsString( 'http-equiv="refresh"', $html );
		$this->assertSame( array(), $this->sent );
	}

	public function test_open_assay_asks_for_a_login_link_signed_over_method_path_timestamp_nonce_and_body(): void {
		$this->connected();
		$_REQUEST['_wpnonce'] = wp_create_nonce( 'assay_open' );
		$this->answers[] = array( 200, array( 'url' => 'https://assay.example/admin/login/abc' ) );
		$this->assertSame( 'https://assay.example/admin/login/abc', ( new Assay_Admin() )->handle_open() );

		[ $request ] = $this->sent;
		$headers = $request['headers'];
		$this->assertSame( array( 'https://assay.example/woocommerce/plugin/login-link', 'POST' ), array( $request['url'], $request['method'] ) );
		$this->assertSame( '{"person":"anna@shop.example"}', $request['body'] );
		$this->assertSame( '42', $headers['X-Assay-Store'] );
		$this->assertEqualsWithDelta( time(), (int) $headers['X-Assay-Timestamp'], 2 );
		$canonical = "POST\n/woocommerce/plugin/login-link\n{$headers['X-Assay-Timestamp']}\n{$headers['X-Assay-Nonce']}\n" . hash( 'sha256', $request['body'] );
		$this->assertSame( hash_hmac( 'sha256', $canonical, 'plugin-secret' ), $headers['X-Assay-Signature'] );
	}

	public function test_open_assay_follows_only_a_login_link_on_assay_itself(): void {
		$this->connected();
		$_REQUEST['_wpnonce'] = wp_create_nonce( 'assay_open' );
		$this->answers[] = array( 200, array( 'url' => 'https://evil.example/admin/login/abc' ) );
		$this->assertStringContainsString( 'assay_notice=open_failed', ( new Assay_Admin() )->handle_open() );
	}

	public function test_each_nonce_is_a_fresh_one(): void {
		$client = new Assay_Client( 'https://assay.example', 42, 'k' );
		$client->status();
		$client->status();
		$this->assertNotSame( $this->sent[0]['headers']['X-Assay-Nonce'], $this->sent[1]['headers']['X-Assay-Nonce'] );
		$this->assertSame( 'GET', $this->sent[0]['method'] );
	}

	/** @dataProvider admin_actions */
	public function test_an_admin_action_without_the_capability_is_refused_before_anything_happens( string $action ): void {
		$this->connected();
		$GLOBALS['wp_user_can'] = false;
		$_REQUEST['_wpnonce'] = wp_create_nonce( 'assay_' . $action );
		try {
			( new Assay_Admin() )->{'handle_' . $action}();
			$this->fail( 'not refused' );
		} catch ( WP_Die_Exception $refused ) {
			$this->assertStringContainsString( 'not allowed', $refused->getMessage() );
		}
		$this->assertSame( array(), $this->sent );
		$this->assertSame( 42, Assay_Settings::all()['store_id'] );
	}

	/** @dataProvider admin_actions */
	public function test_an_admin_action_with_another_actions_nonce_is_refused( string $action ): void {
		$this->connected();
		$_REQUEST['_wpnonce'] = wp_create_nonce( 'assay_something_else' );
		$this->expectException( WP_Die_Exception::class );
		try {
			( new Assay_Admin() )->{'handle_' . $action}();
		} finally {
			$this->assertSame( array(), $this->sent );
		}
	}

	public static function admin_actions(): array {
		return array( 'connect' => array( 'connect' ), 'open' => array( 'open' ), 'disconnect' => array( 'disconnect' ) );
	}

	public function test_the_settings_page_refuses_a_user_without_the_capability(): void {
		$GLOBALS['wp_user_can'] = false;
		$this->expectException( WP_Die_Exception::class );
		( new Assay_Admin() )->render();
	}

	public function test_disconnect_tells_assay_signed_and_removes_the_plugins_options(): void {
		$this->connected();
		$_REQUEST['_wpnonce'] = wp_create_nonce( 'assay_disconnect' );
		$this->answers[] = array( 200, array( 'status' => 'forgotten' ) );
		( new Assay_Admin() )->handle_disconnect();
		$this->assertSame( 'https://assay.example/woocommerce/plugin/disconnect', $this->sent[0]['url'] );
		$this->assertArrayHasKey( 'X-Assay-Signature', $this->sent[0]['headers'] );
		$this->assertSame( array(), $GLOBALS['wp_options'] );
	}

	public function test_the_status_page_escapes_what_assay_says(): void {
		ob_start();
		( new Assay_Admin() )->render_status( array( 'status' => 200, 'body' => array( 'connected' => true, 'webhooks' => array( 'healthy' => true ), 'last_event_at' => '<script>x</script>' ) ) );
		$html = ob_get_clean();
		$this->assertStringContainsString( '&lt;script&gt;x&lt;/script&gt;', $html );
		$this->assertStringNotContainsString( '<script>', $html );
		$this->assertStringContainsString( 'Healthy', $html );
	}

	private function order(): Fake_Order {
		$order = new Fake_Order( 101, '101', 'ann@example.com', 'wc_order_abc', array( 5 => new Fake_Item( 'Ring <b>gold</b>', 1 ), 6 => new Fake_Item( 'Chain', 2 ) ), 7 );
		$GLOBALS['wp_orders'][101] = $order;
		return $order;
	}

	public function test_the_form_posts_the_orders_own_identity_and_only_its_lines_to_assay(): void {
		$this->connected();
		$order = $this->order();
		$form = new Assay_Request_Form();
		$form->answer_attempts = 0;
		$this->answers[] = array( 202, array( 'status' => 'received', 'case_id' => 9, 'answer_url' => '/forms/woocommerce/42/request/9?token=t' ) );
		$html = $form->handle( $order, array( 'kind' => 'return', 'reason' => 'wrong_size', 'line_id' => array( '6', '99' ), 'photos' => '2', 'note' => 'Too <i>small</i>', 'email' => 'eve@example.com' ) );

		$this->assertSame( 'https://assay.example/forms/woocommerce/42/request', $this->sent[0]['url'] );
		$this->assertSame( array( 'order_number' => '101', 'email' => 'ann@example.com', 'order_key' => 'wc_order_abc', 'kind' => 'return', 'reason' => 'wrong_size', 'photos' => 2, 'note' => 'Too small', 'line_id' => array( '6' ) ), json_decode( $this->sent[0]['body'], true ) );
		$this->assertSame( '/forms/woocommerce/42/request/9?token=t', $order->meta[ Assay_Request_Form::ANSWER_META ] );
		$this->assertStringContainsString( 'We have received your request', $html );
	}

	public function test_the_decision_is_shown_escaped_and_review_says_when_we_answer(): void {
		$form = new Assay_Request_Form();
		$declined = $form->answer_html( array( 'outcome' => 'decline', 'messages' => array( 'Sale items <b>can\'t</b> be returned.' ) ) );
		$this->assertStringContainsString( 'Sale items &lt;b&gt;can&#039;t&lt;/b&gt; be returned.', $declined );
		$GLOBALS['wp_options']['date_format'] = 'Y-m-d';
		$GLOBALS['wp_options']['time_format'] = 'H:i';
		$review = $form->answer_html( array( 'outcome' => 'review', 'respond_by' => '2026-03-04T10:00:00Z' ) );
		$this->assertStringContainsString( 'We will get back to you by 2026-03-04 10:00.', $review );
	}

	public function test_the_form_lists_the_lines_escaped_with_a_nonce_for_this_order(): void {
		$html = ( new Assay_Request_Form() )->form( $this->order() );
		$this->assertStringContainsString( 'Ring &lt;b&gt;gold&lt;/b&gt; &times; 1', $html );
		$this->assertStringContainsString( 'value="' . wp_create_nonce( 'assay_request_101' ) . '"', $html );
		foreach ( array( 'name="kind"', 'name="reason"', 'name="photos"', 'name="note"', 'name="line_id[]"' ) as $field ) {
			$this->assertStringContainsString( $field, $html );
		}
	}

	public function test_a_post_without_this_orders_nonce_sends_nothing(): void {
		$this->connected();
		$this->order();
		$_SERVER['REQUEST_METHOD'] = 'POST';
		$_POST = array( 'assay_request_nonce' => wp_create_nonce( 'assay_request_102' ), 'kind' => 'cancel' );
		$html = ( new Assay_Request_Form() )->page( 101 );
		$this->assertStringContainsString( 'This form has expired', $html );
		$this->assertSame( array(), $this->sent );
	}

	public function test_another_customers_order_is_not_found(): void {
		$this->order();
		$GLOBALS['wp_user_id'] = 8;
		$this->assertStringContainsString( 'could not be found', ( new Assay_Request_Form() )->page( 101 ) );
		$_GET['key'] = 'wc_order_abc';  // a guest with the order's link
		$this->assertStringContainsString( 'assay-request-form', ( new Assay_Request_Form() )->page( 101 ) );
	}

	public function test_trackships_delivery_date_goes_on_the_order_as_assay_meta(): void {
		$order = $this->order();
		$order->meta['shipment_status'] = array( array( 'status' => 'delivered', 'status_date' => '2026-03-02 09:15:00' ), array( 'status' => 'delivered', 'status_date' => '2026-03-03 14:00:00' ) );
		( new Assay_Delivery() )->record_from_object( $order );
		$this->assertSame( '2026-03-03T14:00:00Z', $order->meta['_assay_delivered_at'] );
		$order->meta['shipment_status'][0]['status_date'] = '2026-03-09 00:00:00';
		( new Assay_Delivery() )->record_from_object( $order );
		$this->assertSame( '2026-03-03T14:00:00Z', $order->meta['_assay_delivered_at'], 'the first date seen stays' );
	}

	public function test_a_parcel_still_in_transit_sets_no_date_until_the_delivered_status(): void {
		$order = $this->order();
		$order->meta['shipment_status'] = array( array( 'status' => 'in_transit', 'status_date' => '2026-03-02 09:15:00' ) );
		( new Assay_Delivery() )->record_from_object( $order );
		$this->assertArrayNotHasKey( '_assay_delivered_at', $order->meta );
		( new Assay_Delivery() )->record( 101, $order );
		$this->assertMatchesRegularExpression( '/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/', $order->meta['_assay_delivered_at'] );
		$this->assertSame( 1, $order->saves );
	}

	private const PLUGIN_FILE = __DIR__ . '/../assay-for-woocommerce/assay-for-woocommerce.php';

	private function header( string $name ): string {
		preg_match( '/^\s*\*\s*' . preg_quote( $name, '/' ) . ':\s*(\S+)\s*$/m', (string) file_get_contents( self::PLUGIN_FILE ), $found );
		return $found[1] ?? '';
	}

	public function test_the_header_states_one_version_and_the_woocommerce_release_it_is_tested_on(): void {
		preg_match( "/define\( 'ASSAY_WC_VERSION', '([^']+)' \);/", (string) file_get_contents( self::PLUGIN_FILE ), $constant );
		$this->assertSame( '1.2.1', $this->header( 'Version' ) );
		$this->assertSame( $this->header( 'Version' ), $constant[1] ?? '', 'the Version header and ASSAY_WC_VERSION agree' );
		$this->assertSame( '11.0', $this->header( 'WC tested up to' ), 'the WooCommerce the real-shop suite runs (11.0.1)' );
	}

	public function test_hpos_and_the_checkout_blocks_are_declared_compatible_before_woocommerce_inits(): void {
		\Automattic\WooCommerce\Utilities\FeaturesUtil::$declared = array();
		Assay_Compatibility::declare_features();
		$this->assertSame(
			array( array( 'custom_order_tables', ASSAY_WC_FILE, true ), array( 'cart_checkout_blocks', ASSAY_WC_FILE, true ) ),
			\Automattic\WooCommerce\Utilities\FeaturesUtil::$declared
		);
		$this->assertStringContainsString( "add_action( 'before_woocommerce_init', array( 'Assay_Compatibility', 'declare_features' ) );", (string) file_get_contents( self::PLUGIN_FILE ) );
	}

	private function rendered_page( array $query ): string {
		$_GET = $query;
		ob_start();
		( new Assay_Admin() )->render();
		return (string) ob_get_clean();
	}

	public function test_an_admin_failure_is_an_error_notice_and_a_success_a_success_notice(): void {
		$this->assertStringContainsString( '<div class="notice notice-error inline"><p>The Assay URL must be an https:// address.</p></div>', $this->rendered_page( array( 'assay_notice' => 'bad_url' ) ) );
		$this->assertStringContainsString( 'notice-error', $this->rendered_page( array( 'assay_notice' => 'open_failed' ) ) );
		$this->assertStringContainsString( '<div class="notice notice-success inline"><p>Disconnected', $this->rendered_page( array( 'assay_notice' => 'disconnected' ) ) );
		$this->assertStringNotContainsString( 'notice', $this->rendered_page( array( 'assay_notice' => '<b>made-up</b>' ) ), 'only known keys show' );
	}

	public function test_assay_unreachable_on_the_status_page_is_an_error_notice(): void {
		ob_start();
		( new Assay_Admin() )->render_status( array( 'status' => 0, 'body' => array( 'error' => 'unreachable' ) ) );
		$this->assertSame( '<div class="notice notice-error inline"><p>Assay could not be reached just now.</p></div>', ob_get_clean() );
	}

	private function post_request( array $typed ): string {
		$_SERVER['REQUEST_METHOD'] = 'POST';
		$_POST = $typed + array( 'assay_request_nonce' => wp_create_nonce( 'assay_request_101' ) );
		$form = new Assay_Request_Form();
		$form->answer_attempts = 0;
		return $form->page( 101 );
	}

	private const TYPED = array( 'kind' => 'return', 'reason' => 'wrong_size', 'line_id' => array( '6' ), 'photos' => '2', 'note' => 'Too small, sorry & thanks' );

	private function assertTypedKept( string $html ): void {
		$this->assertStringContainsString( '<option value="return" selected=\'selected\'>', $html );
		$this->assertStringContainsString( '<option value="wrong_size" selected=\'selected\'>', $html );
		$this->assertStringContainsString( 'value="6" checked="checked"', $html );
		$this->assertStringContainsString( 'value="5" />', $html, 'the line not chosen stays unchecked' );
		$this->assertStringContainsString( 'name="photos" min="0" max="20" value="2"', $html );
		$this->assertStringContainsString( '>Too small, sorry &amp; thanks</textarea>', $html );
	}

	/** @return array<string, array{0: mixed}> */
	public static function assay_unreachable(): array {
		return array(
			'connection refused or timed out' => array( new WP_Error( 'http_request_failed', 'cURL error 28: Operation timed out' ) ),
			'the proxy in front of Assay: 502 page' => array( array( 502, '<html><body>502 Bad Gateway</body></html>' ) ),
			'Assay failing' => array( array( 503, array( 'error' => 'unavailable', 'detail' => 'database down' ) ) ),
			'rate limited' => array( array( 429, array( 'error' => 'rate_limited', 'detail' => 'too many requests' ) ) ),
		);
	}

	/** @dataProvider assay_unreachable */
	public function test_assay_unreachable_says_try_again_as_an_error_notice_and_keeps_what_was_typed( $answer ): void {
		$this->connected();
		$order = $this->order();
		$this->answers[] = $answer;
		$html = $this->post_request( self::TYPED );

		$this->assertStringContainsString( '<ul class="woocommerce-error" role="alert"><li>We couldn&#039;t send your request just now; please try again in a few minutes.</li></ul>', $html );
		$this->assertTypedKept( $html );
		$this->assertStringNotContainsString( 'Bad Gateway', $html );
		$this->assertStringNotContainsString( 'database down', $html );
		$this->assertArrayNotHasKey( Assay_Request_Form::ANSWER_META, $order->meta );
		$this->assertCount( 1, $this->sent );
	}

	public function test_fields_assay_refused_are_named_in_the_forms_words_as_an_error_notice(): void {
		$this->connected();
		$this->order();
		$this->answers[] = array( 400, array( 'error' => 'invalid_form', 'fields' => array( 'line_id' => 'choose at least one item', 'reason' => array( 'is <required>' ) ), 'detail' => 'x' ) );
		$html = $this->post_request( self::TYPED );
		$this->assertStringContainsString( '<ul class="woocommerce-error" role="alert"><li>Please check your request: Which items? choose at least one item; Why? is &lt;required&gt;</li></ul>', $html );
		$this->assertTypedKept( $html );
	}

	public function test_a_request_assay_refused_says_why_as_an_error_notice(): void {
		$this->connected();
		$this->order();
		$this->answers[] = array( 404, array( 'error' => 'unknown_order', 'detail' => 'We could not find this order.' ) );
		$html = $this->post_request( self::TYPED );
		$this->assertStringContainsString( '<ul class="woocommerce-error" role="alert"><li>Your request could not be sent: We could not find this order.</li></ul>', $html );
		$this->assertTypedKept( $html );
	}

	public function test_a_page_rendered_twice_in_one_post_sends_the_request_once(): void {
		$this->connected();
		$this->order();
		$this->answers[] = array( 202, array( 'status' => 'received', 'answer_url' => '/forms/woocommerce/42/request/9?token=t' ) );
		$_SERVER['REQUEST_METHOD'] = 'POST';
		$_POST = self::TYPED + array( 'assay_request_nonce' => wp_create_nonce( 'assay_request_101' ) );
		$form = new Assay_Request_Form();
		$form->answer_attempts = 0;
		$first = $form->page( 101 );
		$this->assertSame( $first, $form->page( 101 ) );
		$this->assertCount( 1, $this->sent );
		$this->assertStringContainsString( 'We have received your request', $first );
	}

	public function test_an_expired_form_is_an_error_notice_with_the_form_as_typed_and_sends_nothing(): void {
		$this->connected();
		$this->order();
		$_SERVER['REQUEST_METHOD'] = 'POST';
		$_POST = self::TYPED + array( 'assay_request_nonce' => 'stale' );
		$html = ( new Assay_Request_Form() )->page( 101 );
		$this->assertStringContainsString( '<ul class="woocommerce-error" role="alert"><li>This form has expired. Please send it again.</li></ul>', $html );
		$this->assertTypedKept( $html );
		$this->assertStringContainsString( 'value="' . wp_create_nonce( 'assay_request_101' ) . '"', $html, 'with a fresh nonce' );
		$this->assertSame( array(), $this->sent );
	}

	private const KEY = '0123456789abcdef0123456789abcdef';

	private function rendered_key( string $html ): string {
		$this->assertSame( 1, preg_match( '/<input type="hidden" name="request_key" value="([^"]*)" \/>/', $html, $found ), 'the form carries a request key' );
		return $found[1];
	}

	private function sent_key( int $sending ): ?string {
		return json_decode( $this->sent[ $sending ]['body'], true )['request_key'] ?? null;
	}

	public function test_each_new_form_carries_a_fresh_request_key_of_32_hex_characters(): void {
		$form  = new Assay_Request_Form();
		$first = $this->rendered_key( $form->form( $this->order() ) );
		$this->assertMatchesRegularExpression( '/^[0-9a-f]{32}$/', $first );
		$this->assertNotSame( $first, $this->rendered_key( $form->form( $this->order() ) ) );
	}

	public function test_a_failed_send_keeps_the_forms_key_and_its_retry_sends_the_same_key(): void {
		$this->connected();
		$this->order();
		$this->answers[] = new WP_Error( 'http_request_failed', 'cURL error 28: Operation timed out' );  // Assay hung
		$failed = $this->post_request( self::TYPED + array( 'request_key' => self::KEY ) );
		$this->assertStringContainsString( 'please try again in a few minutes', $failed );
		$this->assertSame( self::KEY, $this->rendered_key( $failed ) );

		$this->answers[] = array( 202, array( 'status' => 'received', 'answer_url' => '/forms/woocommerce/42/request/9?token=t' ) );
		$retried = $this->post_request( self::TYPED + array( 'request_key' => $this->rendered_key( $failed ) ) );
		$this->assertStringContainsString( 'We have received your request', $retried );
		$this->assertSame( array( self::KEY, self::KEY ), array( $this->sent_key( 0 ), $this->sent_key( 1 ) ) );

		$_SERVER['REQUEST_METHOD'] = 'GET';  // the next page view: a new form, a new key
		$this->assertNotSame( self::KEY, $this->rendered_key( ( new Assay_Request_Form() )->page( 101 ) ) );
	}

	public function test_a_key_assay_would_refuse_is_not_sent_and_the_form_comes_back_with_a_new_one(): void {
		$this->connected();
		$this->order();
		$this->answers[] = array( 503, array() );
		$html = $this->post_request( self::TYPED + array( 'request_key' => 'short"><b>' ) );
		$this->assertNull( $this->sent_key( 0 ) );
		$this->assertMatchesRegularExpression( '/^[0-9a-f]{32}$/', $this->rendered_key( $html ) );
	}

	public function test_a_key_assay_refused_comes_back_as_a_new_one_in_the_forms_words(): void {
		$this->connected();
		$this->order();
		$this->answers[] = array( 400, array( 'error' => 'invalid_form', 'fields' => array( 'request_key' => 'was already used for a request on another order' ), 'detail' => 'x' ) );
		$html = $this->post_request( self::TYPED + array( 'request_key' => self::KEY ) );
		$this->assertStringContainsString( 'Please check your request: This form was already used for a request on another order', $html );
		$this->assertNotSame( self::KEY, $this->rendered_key( $html ) );
		$this->assertTypedKept( $html );
	}

	public function test_an_order_not_found_is_an_error_notice(): void {
		$this->assertSame( '<div class="assay-request assay-refused"><ul class="woocommerce-error" role="alert"><li>This order could not be found.</li></ul></div>', ( new Assay_Request_Form() )->page( 555 ) );
	}

	public function test_the_endpoint_has_its_own_title(): void {
		$form = new Assay_Request_Form();
		$this->assertSame( 'Request a return or cancellation', $form->title() );
		$this->assertSame( $form->title(), $form->order_action( array(), $this->order() )['assay_request']['name'] );
	}

	public function test_the_send_button_takes_the_block_themes_button_style(): void {
		$this->assertStringContainsString( '<button type="submit" class="woocommerce-Button button">', ( new Assay_Request_Form() )->form( $this->order() ) );
		$GLOBALS['wp_block_theme'] = true;
		$this->assertStringContainsString( '<button type="submit" class="woocommerce-Button button wp-element-button">', ( new Assay_Request_Form() )->form( $this->order() ) );
	}

	public function test_a_request_received_but_not_yet_decided_is_an_info_notice(): void {
		$this->connected();
		$form = new Assay_Request_Form();
		$form->answer_attempts = 0;
		$this->answers[] = array( 202, array( 'status' => 'received', 'answer_url' => '/forms/woocommerce/42/request/9?token=t' ) );
		$html = $form->handle( $this->order(), self::TYPED );
		$this->assertStringContainsString( '<ul class="woocommerce-notice" role="alert"><li>We have received your request.', $html );
	}

	public function test_an_approval_is_a_success_notice_and_a_refusal_an_info_notice_never_an_error(): void {
		$form = new Assay_Request_Form();
		$approved = $form->answer_html( array( 'outcome' => 'approve', 'refund_total' => '89.00', 'currency' => 'EUR', 'messages' => array( 'Your return is accepted.' ) ) );
		$this->assertStringContainsString( '<ul class="woocommerce-success" role="alert"><li><p><strong>Your request is approved. We are refunding 89.00 EUR.</strong></p><p>Your return is accepted.</p></li></ul>', $approved );
		$declined = $form->answer_html( array( 'outcome' => 'decline', 'messages' => array( 'Sale items are final.' ) ) );
		$this->assertStringContainsString( '<ul class="woocommerce-notice" role="alert">', $declined );
		$this->assertStringNotContainsString( 'woocommerce-error', $declined );
	}

	public function test_reads_that_only_add_to_a_page_wait_three_seconds_and_a_request_ten(): void {
		$this->connected();
		$client = Assay_Client::from_settings();
		$client->status();
		$client->answer( '/forms/woocommerce/42/request/9?token=t' );
		$client->submit_request( array( 'kind' => 'cancel' ) );
		$client->login_link( 'anna@shop.example' );
		$this->assertSame( array( 3, 3, 10, 10 ), array_column( $this->sent, 'timeout' ) );
	}
}
